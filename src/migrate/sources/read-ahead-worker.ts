/**
 * Worker side of {@link withReadAhead}: opens the source, reads and decodes records, packs
 * each group's vectors into one Float64Array (transferred, not copied) and posts the groups
 * to the main thread, at most READ_AHEAD_GROUPS ahead of what it has consumed.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PlanvecError } from "../../core/errors.js";
import { openSource } from "../detect.js";
import { MissingNamedVector, type SourceRecord } from "../record.js";
import type { ReadAheadMessage, ReadAheadRequest } from "./read-ahead.js";

const READ_AHEAD_GROUPS = 4;
const port = parentPort;
if (port === null) throw new Error("read-ahead worker started outside a worker thread");

let credits = READ_AHEAD_GROUPS;
let wake: (() => void) | null = null;
port.on("message", () => {
  credits++;
  wake?.();
  wake = null;
});

function isNumberArray(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const x of value) if (typeof x !== "number") return false;
  return true;
}

/** Vectors into one buffer; a named-vector marker into plain data (classes do not cross threads). */
function pack(records: SourceRecord[]): ArrayBuffer {
  let total = 0;
  for (const r of records) if (isNumberArray(r.vector)) total += r.vector.length;
  const buffer = new Float64Array(total);
  let at = 0;
  for (const r of records) {
    if (isNumberArray(r.vector)) {
      buffer.set(r.vector, at);
      r.vector = buffer.subarray(at, at + r.vector.length);
      at += (r.vector as Float64Array).length;
    } else if (r.vector instanceof MissingNamedVector) {
      r.vector = { __missingNamedVector: { wanted: r.vector.wanted, available: r.vector.available } };
    }
  }
  return buffer.buffer;
}

async function run(): Promise<void> {
  const request = workerData as ReadAheadRequest;
  const source = await openSource(request.spec, { ...request.options, readAhead: false });
  try {
    for await (const group of source.records()) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits--;
      const buffer = pack(group);
      const message: ReadAheadMessage = { kind: "records", records: group, progress: source.progress().done };
      port?.postMessage(message, [buffer]);
    }
    port?.postMessage({ kind: "done" } satisfies ReadAheadMessage);
  } catch (error) {
    const message: ReadAheadMessage = {
      kind: "error",
      message: error instanceof Error ? error.message : String(error),
      code: error instanceof PlanvecError ? error.code : "read_failed",
      operation: error instanceof PlanvecError ? error.operation : "migrate.read",
      usage: error instanceof PlanvecError && error.name === "SourceFormatError",
    };
    port?.postMessage(message);
  }
}

void run();
