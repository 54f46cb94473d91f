/**
 * Read-ahead (opt-in, `--read-ahead`): decode a text source (JSON, JSON Lines) in a worker
 * thread while the main thread validates and writes. Decoding (`JSON.parse` of long float
 * arrays) and the store's durable writes each take about half of a migration on one core, so
 * on idle cores they can overlap; on the shared bench machine the extra thread lost (figures
 * in docs/benchmarks.md, "Migration"), hence off by default. Vectors cross threads as one
 * transferred Float64Array per group (no per-number copy).
 */
import { Worker } from "node:worker_threads";
import { MigrationError, SourceFormatError } from "../errors.js";
import { MissingNamedVector, type SourceRecord } from "../record.js";
import type { RecordSource } from "./source.js";

export interface ReadAheadRequest {
  spec: string;
  options: Record<string, unknown>;
}

export type ReadAheadMessage =
  | { kind: "records"; records: SourceRecord[]; progress: number }
  | { kind: "done" }
  | { kind: "error"; message: string; code: string; operation: string; usage: boolean };

function startWorker(request: ReadAheadRequest): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    // Running from sources (tests, tsx): register tsx in the worker before loading it.
    const url = new URL("./read-ahead-worker.ts", here).href;
    const boot = `const { workerData } = require("node:worker_threads");
import("tsx/esm/api").then(({ register }) => { register(); return import(workerData.__url); });`;
    return new Worker(boot, { eval: true, workerData: { ...request, __url: url } });
  }
  return new Worker(new URL("./read-ahead-worker.js", here), { workerData: request });
}

/** `inner` (opened on the main thread) gives format, facts and description; the worker re-opens the same source. */
export function withReadAhead(
  inner: RecordSource,
  spec: string,
  options: Record<string, unknown>,
): RecordSource {
  let done = 0;
  return {
    format: inner.format,
    description: inner.description,
    facts: inner.facts,
    progress: () => ({ ...inner.progress(), done }),
    async *records() {
      done = 0;
      const worker = startWorker({ spec, options: { ...options, format: inner.format } });
      const queue: ReadAheadMessage[] = [];
      let notify: (() => void) | null = null;
      let crashed: Error | null = null;
      worker.on("message", (message: ReadAheadMessage) => {
        queue.push(message);
        notify?.();
      });
      worker.on("error", (error) => {
        crashed = error;
        notify?.();
      });
      worker.on("exit", () => notify?.());
      try {
        for (;;) {
          while (queue.length === 0 && crashed === null)
            await new Promise<void>((resolve) => (notify = resolve));
          notify = null;
          const message = queue.shift();
          if (message === undefined) {
            throw new MigrationError(
              "migrate.read",
              "reader_crashed",
              `reader thread failed: ${String(crashed)}`,
              {
                cause: crashed,
              },
            );
          }
          if (message.kind === "done") return;
          if (message.kind === "error") {
            const Err = message.usage ? SourceFormatError : MigrationError;
            throw new Err(message.operation, message.code, message.message);
          }
          worker.postMessage("more");
          done = message.progress;
          for (const record of message.records) {
            const v = record.vector as
              | { __missingNamedVector?: { wanted?: string; available: string[] } }
              | undefined;
            if (v?.__missingNamedVector) {
              record.vector = new MissingNamedVector(
                v.__missingNamedVector.wanted,
                v.__missingNamedVector.available,
              );
            }
          }
          yield message.records;
        }
      } finally {
        await worker.terminate();
      }
    },
  };
}
