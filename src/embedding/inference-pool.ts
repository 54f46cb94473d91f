/**
 * Parallel inference for the local embedder: N onnxruntime sessions (one intra-op thread each
 * by default), every one in its own worker thread, fed batches from one queue.
 *
 * Why not one session with N intra-op threads: a transformer on short texts (task titles,
 * 10-30 word pieces) leaves most of an intra-op thread's time in synchronisation; sessions
 * running whole batches side by side kept both cores busy. On the project's 2 cores, int8,
 * titles in one call: one session × 2 threads 467-539 texts/s, two sessions × 1 thread
 * 643-713 (bench:embed, 2026-12-02). Two
 * sessions in one thread do not overlap (onnxruntime-node runs one inference at a time per
 * thread), hence worker threads.
 *
 * The main thread keeps tokenising and batching; workers run the graph and send back only the
 * output the embedder reads (the pooled vectors when the graph has them). A worker
 * holds the process open only while it has work, so a caller that forgets close() does not
 * hang the CLI.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { EmbeddingError } from "./errors.js";

const require = createRequire(import.meta.url);

/** One inference: int64 inputs of one shape, the runner's chosen output back. */
export interface InferenceJob {
  feeds: Record<string, BigInt64Array>;
  shape: [number, number];
}

export interface InferenceResult {
  data: Float32Array;
  dims: readonly number[];
}

export interface InferencePoolOptions {
  onnxPath: string;
  workers: number;
  /** Intra-op threads of each worker's session. */
  threadsPerWorker: number;
  /** Let idle intra-op threads spin (see OnnxEmbedderOptions.spin). */
  spin: boolean;
  /** Fetch this output when the graph has it (see chooseOutput), else its first output. */
  preferredOutput?: string;
}

/**
 * The output a runner fetches: `preferred` when the graph has it, else the first output. Only
 * that one is asked of onnxruntime, so a pooled output spares copying last_hidden_state out.
 */
export function chooseOutput(outputNames: readonly string[], preferred: string | undefined): string {
  return preferred !== undefined && outputNames.includes(preferred)
    ? preferred
    : (outputNames[0] ?? "last_hidden_state");
}

/**
 * onnxruntime session options for `threads` intra-op threads: the same for a session on the
 * calling thread and in a worker (plain data, so it crosses into the worker as workerData).
 */
export function sessionOptions(threads: number, spin: boolean) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential" as const,
    graphOptimizationLevel: "all" as const,
    extra: { session: { intra_op: { allow_spinning: spin ? "1" : "0" } } },
  };
}

// Plain JavaScript run with `eval: true`, so the worker runs the same from sources (tsx,
// vitest) and from the compiled dist/ without a separate build entry.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.ortPath);
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.onnxPath, workerData.sessionOptions);
  } catch (error) {
    parentPort.postMessage({ type: "failed", error: String((error && error.message) || error) });
    return;
  }
  // The same rule as chooseOutput (this source cannot import it).
  const names = session.outputNames;
  const output = workerData.preferredOutput !== undefined && names.includes(workerData.preferredOutput) ? workerData.preferredOutput : names[0];
  parentPort.postMessage({ type: "ready", inputNames: session.inputNames, outputName: output });
  // Jobs run one at a time, in arrival order; the pool keeps up to JOBS_PER_WORKER queued
  // here so the next batch is ready when one ends, even while the main thread is busy.
  const jobs = [];
  let running = false;
  parentPort.on("message", (message) => {
    jobs.push(message);
    if (!running) void drain();
  });
  async function drain() {
    running = true;
    while (jobs.length > 0) {
      const job = jobs.shift();
      if (job.type === "close") {
        await session.release();
        parentPort.close();
        return;
      }
      await runJob(job);
    }
    running = false;
  }
  async function runJob(job) {
    try {
      const feeds = {};
      for (const name of Object.keys(job.feeds)) feeds[name] = new ort.Tensor("int64", job.feeds[name], job.shape);
      const results = await session.run(feeds, [output]);
      const out = results[output];
      // A copy we own: the tensor's memory may belong to onnxruntime and cannot be transferred.
      const data = new Float32Array(out.data);
      parentPort.postMessage({ type: "done", id: job.id, data, dims: out.dims }, [data.buffer]);
    } catch (error) {
      parentPort.postMessage({ type: "done", id: job.id, error: String((error && error.message) || error) });
    }
  }
})();
`;

interface Lane {
  worker: Worker;
  /** Jobs posted to the worker and not answered yet (running or queued there). */
  posted: number;
}

/**
 * Jobs handed to each worker ahead of time. With one, a worker that finished a batch waited
 * for the main thread to dispatch the next, and the main thread is sometimes busy for tens of
 * milliseconds (an index commit, tokenising a large file): 5 s of 80 idle per worker in a cold
 * index of the dev corpus. With two, the next batch is already in the worker's queue.
 */
const JOBS_PER_WORKER = 2;

interface Pending {
  job: InferenceJob;
  resolve: (result: InferenceResult) => void;
  reject: (error: Error) => void;
}

export class InferencePool {
  readonly inputNames: readonly string[];
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending & { lane: Lane }>();
  private nextId = 0;
  private closed = false;
  private drained: (() => void) | null = null;

  private constructor(
    private readonly lanes: Lane[],
    inputNames: string[],
    /** The output every worker fetches (they all load the same graph). */
    readonly outputName: string,
  ) {
    this.inputNames = inputNames;
    for (const lane of lanes) {
      lane.worker.on("message", (message: WorkerMessage) => this.onMessage(lane, message));
      lane.worker.on("error", (error) => this.failLane(lane, error));
      lane.worker.on("exit", (code) => {
        if (!this.closed) this.failLane(lane, new Error(`inference worker exited with code ${code}`));
      });
      // After the listeners: adding a "message" listener refs the worker's port again.
      lane.worker.unref();
    }
  }

  /** Start `workers` worker threads and load the graph in each; rejects if any cannot. */
  static async create(options: InferencePoolOptions): Promise<InferencePool> {
    const ortPath = require.resolve("onnxruntime-node");
    const started = Array.from({ length: options.workers }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          ortPath,
          onnxPath: options.onnxPath,
          sessionOptions: sessionOptions(options.threadsPerWorker, options.spin),
          preferredOutput: options.preferredOutput,
        },
      });
      const ready = new Promise<ReadyMessage>((resolve, reject) => {
        worker.once("message", (message: WorkerMessage) => {
          if (message.type === "ready") resolve(message);
          else reject(new Error(message.type === "failed" ? message.error : "unexpected message"));
        });
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`inference worker exited with code ${code}`)));
      });
      return { worker, ready };
    });
    // Every worker must have answered before any is stopped: terminating one while its
    // session is still loading in native code aborts the whole process (onnxruntime-node
    // throws into a torn-down environment).
    const outcomes = await Promise.allSettled(started.map((s) => s.ready));
    const failure = outcomes.find((outcome) => outcome.status === "rejected");
    if (failure) {
      await Promise.all(
        started.map(({ worker }, i) => stopWorker(worker, outcomes[i]?.status === "fulfilled")),
      );
      throw new EmbeddingError("load model", "model_invalid", `onnxruntime cannot load ${options.onnxPath}`, {
        cause: failure.reason,
      });
    }
    const lanes = started.map(({ worker }) => ({ worker, posted: 0 }));
    const ready = (outcomes[0] as PromiseFulfilledResult<ReadyMessage>).value;
    return new InferencePool(lanes, ready.inputNames, ready.outputName);
  }

  /** Run one inference on the next free worker. The input buffers are transferred (detached). */
  run(job: InferenceJob): Promise<InferenceResult> {
    if (this.closed) return Promise.reject(new EmbeddingError("embed", "closed", "the embedder is closed"));
    if (this.lanes.length === 0) {
      return Promise.reject(
        new EmbeddingError("embed", "inference_failed", "every inference worker has stopped"),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.queue.splice(0)) {
      pending.reject(new EmbeddingError("embed", "closed", "the embedder is closed"));
    }
    // Let running inferences finish: releasing a session under a running one is not safe.
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await Promise.all(this.lanes.map((lane) => stopWorker(lane.worker, true)));
  }

  private dispatch(): void {
    // Round by round, so both workers get their first job before either gets a second.
    for (let round = 0; round < JOBS_PER_WORKER; round++) {
      for (const lane of this.lanes) {
        if (lane.posted > round) continue;
        const pending = this.queue.shift();
        if (!pending) return;
        this.post(lane, pending);
      }
    }
  }

  private post(lane: Lane, pending: Pending): void {
    const id = this.nextId++;
    lane.posted += 1;
    if (lane.posted === 1) lane.worker.ref(); // keep the process alive while this worker has work
    this.inFlight.set(id, { ...pending, lane });
    const transfer = Object.values(pending.job.feeds).map((feed) => feed.buffer as ArrayBuffer);
    lane.worker.postMessage(
      { type: "run", id, feeds: pending.job.feeds, shape: pending.job.shape },
      transfer,
    );
  }

  private onMessage(lane: Lane, message: WorkerMessage): void {
    if (message.type !== "done") return;
    const pending = this.inFlight.get(message.id);
    this.inFlight.delete(message.id);
    lane.posted -= 1;
    if (lane.posted === 0) lane.worker.unref();
    if (pending) {
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve({ data: message.data as Float32Array, dims: message.dims as number[] });
    }
    if (this.inFlight.size === 0) this.drained?.();
    this.dispatch();
  }

  private failLane(lane: Lane, error: Error): void {
    const index = this.lanes.indexOf(lane);
    if (index < 0) return;
    this.lanes.splice(index, 1);
    for (const [id, pending] of this.inFlight) {
      if (pending.lane === lane) {
        this.inFlight.delete(id);
        pending.reject(error);
      }
    }
    if (this.lanes.length === 0) {
      for (const pending of this.queue.splice(0)) pending.reject(error);
    } else {
      this.dispatch();
    }
  }
}

/**
 * Stop a worker that is not running an inference and wait for it to exit. A worker with a
 * session is asked to release it first; one whose load failed ends by itself. A worker stuck
 * in native code still goes: terminated after a grace period.
 */
function stopWorker(worker: Worker, hasSession: boolean): Promise<void> {
  if (worker.threadId < 0) return Promise.resolve(); // already exited
  return new Promise<void>((resolve) => {
    worker.once("exit", () => resolve());
    worker.ref(); // held until it has exited: the caller awaits that
    if (hasSession) worker.postMessage({ type: "close" });
    setTimeout(() => void worker.terminate(), 2_000).unref();
  });
}

interface ReadyMessage {
  type: "ready";
  inputNames: string[];
  outputName: string;
}

type WorkerMessage =
  | ReadyMessage
  | { type: "failed"; error: string }
  | { type: "done"; id: number; data?: Float32Array; dims?: number[]; error?: string };
