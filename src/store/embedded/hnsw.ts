/**
 * HNSW index builds (hnswlib-node) for the embedded store: off the main thread, persisted to
 * disk in hnswlib's format; graph.ts reads the graph back for serving.
 *
 * Building is the slow part (≈1,000-2,000 points/s on one core for 384-d, M=16), so it runs
 * in a worker thread; the main thread keeps answering queries with exact scans meanwhile.
 * A build either starts from scratch or loads the previous index file and adds only what
 * changed since (hnswlib updates a label in place), then writes a new file; the main thread
 * loads that file and swaps it in.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Distance } from "../contract.js";

const require = createRequire(import.meta.url);

export interface BuildJob {
  distance: Distance;
  dims: number;
  /** Previous index file to extend, or null to build from scratch. */
  base: string | null;
  out: string;
  /** Labels (slots) to add or update, with their vectors packed row by row. */
  labels: Int32Array;
  vectors: Float32Array;
  /** Labels to mark deleted in the base index. */
  deletes: Int32Array;
  /** Total live elements after the build (capacity planning). */
  maxElements: number;
  m: number;
  efConstruction: number;
}

// Plain JavaScript run with `eval: true`, so the worker works the same from sources (tsx,
// vitest) and from the compiled dist/ without a separate build entry.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { HierarchicalNSW } = require(workerData.hnswlibPath);
parentPort.once("message", async (job) => {
  try {
    const space = job.distance === "Euclid" ? "l2" : "ip";
    const index = new HierarchicalNSW(space, job.dims);
    const capacity = Math.max(16, Math.ceil(job.maxElements * 1.1));
    if (job.base) {
      await index.readIndex(job.base);
      index.resizeIndex(Math.max(capacity, index.getCurrentCount() + job.labels.length));
      for (const label of job.deletes) { try { index.markDelete(label); } catch {} }
    } else {
      index.initIndex(capacity, job.m, job.efConstruction, 100);
    }
    const row = new Array(job.dims);
    for (let i = 0; i < job.labels.length; i++) {
      const o = i * job.dims;
      for (let d = 0; d < job.dims; d++) row[d] = job.vectors[o + d];
      index.addPoint(row, job.labels[i]);
    }
    await index.writeIndex(job.out);
    parentPort.postMessage({ ok: true, count: index.getCurrentCount() });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.stack || error) });
  }
});
`;

/** Run a build in a worker thread; resolves when the index file is written. */
export function buildInWorker(job: BuildJob): {
  done: Promise<{ count: number }>;
  cancel: () => Promise<void>;
} {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { hnswlibPath: require.resolve("hnswlib-node") },
  });
  // A background build must never keep the process alive on its own.
  worker.unref();
  const done = new Promise<{ count: number }>((resolve, reject) => {
    worker.once("message", (msg: { ok: boolean; count?: number; error?: string }) => {
      void worker.terminate();
      if (msg.ok) resolve({ count: msg.count ?? 0 });
      else reject(new Error(msg.error));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`index build worker exited with code ${code}`));
    });
  });
  worker.postMessage(job, [job.vectors.buffer as ArrayBuffer, job.labels.buffer as ArrayBuffer]);
  return {
    done,
    cancel: async () => {
      await worker.terminate();
    },
  };
}
