import { availableParallelism } from "node:os";
import ort from "onnxruntime-node";
import type { Embedder } from "./embedder.js";
import { EmbeddingError } from "./errors.js";
import {
  chooseOutput,
  type InferenceJob,
  InferencePool,
  type InferenceResult,
  sessionOptions,
} from "./inference-pool.js";
import type { ModelSpec } from "./model-files.js";
import { meanPoolNormalise } from "./pooling.js";
import { assertEmbeddable, normaliseText } from "./text.js";
import { type EncodedText, WordPieceTokenizer } from "./tokenizer.js";

/**
 * Padded positions per inference call. Past a few hundred, a batch's activations (and the
 * attention's batch × 12 × seq × seq scores) no longer fit in cache: int8, one thread, a
 * 256-piece text cost 145 µs per piece alone, 180 in a batch of 4, 236 in a batch of 16;
 * 128 pieces: 115 (batch 2) vs 150 (16); 16-32 pieces: flat (87-97) up to batch 32.
 */
const MAX_BATCH_TOKENS = 512;
/** ...except for short texts, where the batch stays in cache anyway and fewer calls save overhead. */
const SHORT_TEXT_PIECES = 32;
/**
 * A batch is also cut when padding would make it this much bigger than its real tokens: task
 * titles run from 5 to 80 word pieces, and one batch of 32 unsorted titles padded to its longest
 * ran at half the rate of batches of 8 (13.8 vs 26.1 texts/s, bench:embed, busy machine).
 */
const MAX_PADDING_RATIO = 1.3;
/** ...but never into batches smaller than this, where per-call overhead dominates. */
const MIN_SPLIT_BATCH = 4;
/**
 * The output of a graph that pools and normalises itself ([batch, dims]; planvec's int8 graph
 * has it, see scripts/embedding/quantise_int8.py). Reading it instead of last_hidden_state
 * spares copying [batch, sequence, dims] floats out of onnxruntime and pooling them here.
 */
export const POOLED_OUTPUT = "sentence_embedding";

export interface OnnxEmbedderOptions {
  /** Threads for inference in all. Default: all cores, at most 4 (see docs/benchmarks.md). */
  threads?: number;
  /**
   * Sessions running side by side, each in a worker thread with threads / workers intra-op
   * threads. Default: `threads` (one thread each: the fastest on short texts, inference-pool.ts).
   * 1 runs one session on the calling thread with all `threads`.
   */
  workers?: number;
  /** Texts per inference call. Default 32. */
  batchSize?: number;
  /**
   * Let idle intra-op threads spin-wait for work. Off by default: on a busy 2-core machine
   * spinning halved throughput with 2 threads (12.8 vs 23.8 texts/s, batch 8, load average 15);
   * on idle cores it can shave a little latency.
   */
  spin?: boolean;
  /**
   * Read the graph's own pooled output (POOLED_OUTPUT) when it has one. Default true; false
   * always pools last_hidden_state here (the two agree to float rounding: tested).
   */
  graphPooling?: boolean;
  /** Called once per embed() call that had to cut texts at maxTokens. Default: stderr. */
  onWarning?: (message: string) => void;
}

/** Counters since the embedder was created. */
export interface OnnxEmbedderStats {
  texts: number;
  batches: number;
  truncated: number;
}

/**
 * all-MiniLM-L6-v2 (or any BERT-style sentence-transformers model) on onnxruntime-node:
 * tokenize → sort by length → batches padded to their longest text → mean pool → L2 norm.
 * Sorting by length keeps padding small: task titles vary from 4 to 60 word pieces.
 */
export class OnnxEmbedder implements Embedder {
  readonly modelId: string;
  readonly dims: number;
  readonly maxTokens: number;
  readonly threads: number;
  readonly batchSize: number;
  readonly stats: OnnxEmbedderStats = { texts: 0, batches: 0, truncated: 0 };
  private readonly warn: (message: string) => void;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly spec: ModelSpec,
    private readonly runner: Runner,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly needsTokenTypes: boolean,
    threads: number,
    readonly workers: number,
    /** Intra-op threads of each session. */
    readonly threadsPerSession: number,
    options: OnnxEmbedderOptions,
  ) {
    this.modelId = spec.modelId;
    this.dims = spec.dims;
    this.maxTokens = spec.maxTokens;
    this.threads = threads;
    this.batchSize = options.batchSize ?? 32;
    this.warn = options.onWarning ?? ((message) => process.stderr.write(`planvec: warning: ${message}\n`));
  }

  /** True when the graph pools and normalises itself (its POOLED_OUTPUT is read). */
  get pooledInGraph(): boolean {
    return this.runner.outputName === POOLED_OUTPUT;
  }

  /** Load the tokenizer and the ONNX graph of a resolved model directory. */
  static async load(spec: ModelSpec, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const threads = options.threads ?? Math.min(availableParallelism(), 4);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new EmbeddingError(
        "load model",
        "invalid_input",
        `threads must be a positive integer, got ${threads}`,
      );
    }
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
      throw new EmbeddingError("load model", "invalid_input", `batchSize must be a positive integer`);
    }
    const workers = options.workers ?? threads;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new EmbeddingError(
        "load model",
        "invalid_input",
        `workers must be a positive integer, got ${workers}`,
      );
    }
    const tokenizer = new WordPieceTokenizer(
      spec.tokenizerJsonPath,
      spec.tokenizerConfigPath,
      spec.maxTokens,
    );
    const threadsPerSession = workers > 1 ? Math.max(1, Math.floor(threads / workers)) : threads;
    const preferredOutput = options.graphPooling === false ? undefined : POOLED_OUTPUT;
    const runner =
      workers > 1
        ? await InferencePool.create({
            onnxPath: spec.onnxPath,
            workers,
            threadsPerWorker: threadsPerSession,
            spin: options.spin ?? false,
            preferredOutput,
          })
        : await LocalRunner.create(spec.onnxPath, threadsPerSession, options.spin ?? false, preferredOutput);
    for (const input of ["input_ids", "attention_mask"]) {
      if (!runner.inputNames.includes(input)) {
        await runner.close();
        throw new EmbeddingError("load model", "model_invalid", `${spec.onnxPath} has no ${input} input`);
      }
    }
    const needsTokenTypes = runner.inputNames.includes("token_type_ids");
    return new OnnxEmbedder(
      spec,
      runner,
      tokenizer,
      needsTokenTypes,
      threads,
      workers,
      threadsPerSession,
      options,
    );
  }

  /** Embed texts; one L2-normalised vector per text, in input order. */
  embed(texts: string[]): Promise<Float32Array[]> {
    try {
      assertEmbeddable(texts);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(new EmbeddingError("embed", "closed", "the embedder is closed"));
    // Worker sessions take batches from their own queue, so calls may overlap; a session on
    // this thread runs one call at a time (it already uses every thread it was given).
    if (this.workers > 1) return this.embedNow(texts);
    const run = this.queue.then(() => this.embedNow(texts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedNow(texts: string[]): Promise<Float32Array[]> {
    // A text repeated within one call is embedded once (a task or a paragraph copied twice
    // into the same plan: 231 of the dev corpus' 15,850 records). CachedEmbedder does the
    // same for its own keys; this covers an embedder used without the cache.
    const distinct = new Map<string, number>();
    const slots = texts.map((text) => {
      const normal = normaliseText(text);
      let slot = distinct.get(normal);
      if (slot === undefined) {
        slot = distinct.size;
        distinct.set(normal, slot);
      }
      return slot;
    });
    const encodedDistinct = [...distinct.keys()].map((text) => this.tokenizer.encode(text));
    const encoded = slots.map((slot) => encodedDistinct[slot] as EncodedText);
    const truncated = encoded.filter((e) => e.truncated).length;
    if (truncated > 0) {
      this.stats.truncated += truncated;
      this.warn(
        `${truncated} of ${texts.length} text(s) cut to the model's ${this.maxTokens} word pieces ` +
          `(${this.stats.truncated} so far); the rest of those texts is not represented in their vectors`,
      );
    }
    const order = encodedDistinct
      .map((e, index) => ({ index, e }))
      .sort((a, b) => a.e.ids.length - b.e.ids.length);
    const vectors = new Array<Float32Array>(encodedDistinct.length);
    // Every batch is handed over at once: with several workers they run side by side.
    await Promise.all(
      [...this.batches(order)].map(async (slice) => {
        const batchVectors = await this.runBatch(slice.map(({ e }) => e));
        slice.forEach(({ index }, i) => {
          const vector = batchVectors[i];
          if (vector) vectors[index] = vector;
        });
      }),
    );
    this.stats.texts += texts.length;
    // Each repeat gets its own copy: callers own the arrays they are given.
    const handedOut = new Set<number>();
    return slots.map((slot) => {
      const vector = vectors[slot] as Float32Array;
      if (!handedOut.has(slot)) {
        handedOut.add(slot);
        return vector;
      }
      return vector.slice();
    });
  }

  /**
   * Consecutive runs of the length-sorted texts: at most batchSize texts and at most
   * MAX_BATCH_TOKENS padded positions, so one 256-piece text does not pad 31 short ones to 256.
   */
  private *batches<T extends { e: EncodedText }>(sorted: T[]): Generator<T[]> {
    let batch: T[] = [];
    let real = 0;
    for (const item of sorted) {
      const longest = item.e.ids.length; // sorted ascending: the newcomer is the longest
      const padded = (batch.length + 1) * longest;
      if (
        batch.length > 0 &&
        (batch.length >= this.batchSize ||
          (padded > MAX_BATCH_TOKENS && longest > SHORT_TEXT_PIECES) ||
          (batch.length >= MIN_SPLIT_BATCH && padded > MAX_PADDING_RATIO * (real + longest)))
      ) {
        yield batch;
        batch = [];
        real = 0;
      }
      batch.push(item);
      real += longest;
    }
    if (batch.length > 0) yield batch;
  }

  private async runBatch(batch: EncodedText[]): Promise<Float32Array[]> {
    const sequence = Math.max(...batch.map((e) => e.ids.length));
    const size = batch.length * sequence;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    batch.forEach((e, row) => {
      const base = row * sequence;
      e.ids.forEach((id, t) => {
        ids[base + t] = BigInt(id);
        mask[base + t] = 1n;
      });
    });
    const feeds: Record<string, BigInt64Array> = { input_ids: ids, attention_mask: mask };
    if (this.needsTokenTypes) feeds.token_type_ids = new BigInt64Array(size);
    let output: InferenceResult;
    try {
      output = await this.runner.run({ feeds, shape: [batch.length, sequence] });
    } catch (error) {
      throw new EmbeddingError(
        "embed",
        "inference_failed",
        `onnxruntime failed on a batch of ${batch.length}`,
        {
          cause: error,
        },
      );
    }
    this.stats.batches += 1;
    if (this.pooledInGraph) {
      if (output.dims.length !== 2 || output.dims[0] !== batch.length || output.dims[1] !== this.dims) {
        throw new EmbeddingError(
          "embed",
          "model_invalid",
          `model output ${POOLED_OUTPUT} has shape [${output.dims.join(", ")}], expected [${batch.length}, ${this.dims}]`,
        );
      }
      return batch.map((_, row) => output.data.slice(row * this.dims, (row + 1) * this.dims));
    }
    if (output.dims.length !== 3 || output.dims[2] !== this.dims) {
      throw new EmbeddingError(
        "embed",
        "model_invalid",
        `model output has shape [${output.dims.join(", ")}], expected [batch, sequence, ${this.dims}]`,
      );
    }
    return meanPoolNormalise(
      output.data,
      batch.map((e) => e.ids.length),
      sequence,
      this.dims,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.runner.close();
  }
}

/** What runs the graph: one session on this thread, or an InferencePool of worker threads. */
interface Runner {
  readonly inputNames: readonly string[];
  /** The output it fetches: POOLED_OUTPUT or the graph's first (last_hidden_state). */
  readonly outputName: string;
  run(job: InferenceJob): Promise<InferenceResult>;
  close(): Promise<void>;
}

/** One onnxruntime session on the calling thread with `threads` intra-op threads. */
class LocalRunner implements Runner {
  readonly outputName: string;

  private constructor(
    private readonly session: ort.InferenceSession,
    preferredOutput: string | undefined,
  ) {
    this.outputName = chooseOutput(session.outputNames, preferredOutput);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  static async create(
    onnxPath: string,
    threads: number,
    spin: boolean,
    preferredOutput: string | undefined,
  ): Promise<LocalRunner> {
    try {
      return new LocalRunner(
        await ort.InferenceSession.create(onnxPath, sessionOptions(threads, spin)),
        preferredOutput,
      );
    } catch (error) {
      throw new EmbeddingError("load model", "model_invalid", `onnxruntime cannot load ${onnxPath}`, {
        cause: error,
      });
    }
  }

  async run(job: InferenceJob): Promise<InferenceResult> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, data] of Object.entries(job.feeds))
      feeds[name] = new ort.Tensor("int64", data, job.shape);
    const results = await this.session.run(feeds, [this.outputName]);
    const first = results[this.outputName];
    if (!first) throw new Error(`no output tensor ${this.outputName}`);
    return { data: first.data as Float32Array, dims: first.dims };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
