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
import { type Distance, StoreError } from "../contract.js";

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
const stop = new Int32Array(workerData.stop);
const stopped = () => Atomics.load(stop, 0) === 1;
parentPort.once("message", async (job) => {
  try {
    if (stopped()) return parentPort.postMessage({ ok: false, cancelled: true });
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
      if ((i & 63) === 0 && stopped()) return parentPort.postMessage({ ok: false, cancelled: true });
      const o = i * job.dims;
      for (let d = 0; d < job.dims; d++) row[d] = job.vectors[o + d];
      index.addPoint(row, job.labels[i]);
    }
    if (stopped()) return parentPort.postMessage({ ok: false, cancelled: true });
    await index.writeIndex(job.out);
    parentPort.postMessage({ ok: true, count: index.getCurrentCount() });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.stack || error) });
  }
});
`;

/** How long cancel() waits for the worker to reach a safe point before terminating it anyway. */
const CANCEL_GRACE_MS = 60_000;

/**
 * Run a build in a worker thread; `done` resolves when the index file is written.
 *
 * cancel() never terminates the worker in the middle of hnswlib's readIndex/writeIndex: those
 * run on libuv's thread pool, and tearing down a worker while one is in flight aborts the
 * whole process (FATAL ERROR in SaveHierarchicalNSWIndexWorker::OnOK). It raises a flag the
 * worker checks between points and around file I/O, and waits for the worker to answer
 * (within a fraction of a second: 64 points, or one file read or write).
 */
export function buildInWorker(job: BuildJob): {
  done: Promise<{ count: number }>;
  cancel: () => Promise<void>;
} {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { hnswlibPath: require.resolve("hnswlib-node"), stop: stop.buffer },
  });
  // A background build must never keep the process alive on its own.
  worker.unref();
  let answered = false;
  let cancelling: Promise<void> | null = null;
  const done = new Promise<{ count: number }>((resolve, reject) => {
    worker.once("message", (msg: { ok: boolean; count?: number; error?: string; cancelled?: boolean }) => {
      answered = true;
      // The worker has nothing in flight once it has answered: terminating it now is safe.
      void worker.terminate();
      if (msg.ok) resolve({ count: msg.count ?? 0 });
      else if (msg.cancelled) reject(new StoreError("store.buildIndex", "closed", "index build cancelled"));
      else reject(new StoreError("store.buildIndex", "internal", "index build failed", { cause: msg.error }));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0 && !answered) {
        reject(new StoreError("store.buildIndex", "internal", `index build worker exited with code ${code}`));
      }
    });
  });
  worker.postMessage(job, [job.vectors.buffer as ArrayBuffer, job.labels.buffer as ArrayBuffer]);
  return {
    done,
    cancel: () => {
      cancelling ??= (async () => {
        Atomics.store(stop, 0, 1);
        worker.ref(); // the caller awaits the worker's answer
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CANCEL_GRACE_MS);
        });
        await Promise.race([done.then(noop, noop), grace]);
        clearTimeout(timer);
        await worker.terminate();
      })();
      return cancelling;
    },
  };
}

function noop(): void {}
