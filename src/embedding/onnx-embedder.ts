import { availableParallelism } from "node:os";
import ort from "onnxruntime-node";
import type { Embedder } from "./embedder.js";
import { EmbeddingError } from "./errors.js";
import type { ModelSpec } from "./model-files.js";
import { meanPoolNormalise } from "./pooling.js";
import { assertEmbeddable, normaliseText } from "./text.js";
import { type EncodedText, WordPieceTokenizer } from "./tokenizer.js";

/** Padded positions per inference call: 32 texts of 128 pieces. Bounds the attention's memory and padding waste. */
const MAX_BATCH_TOKENS = 4096;
/**
 * A batch is also cut when padding would make it this much bigger than its real tokens: task
 * titles run from 5 to 80 word pieces, and one batch of 32 unsorted titles padded to its longest
 * ran at half the rate of batches of 8 (13.8 vs 26.1 texts/s, bench:embed, busy machine).
 */
const MAX_PADDING_RATIO = 1.3;
/** ...but never into batches smaller than this, where per-call overhead dominates. */
const MIN_SPLIT_BATCH = 4;

export interface OnnxEmbedderOptions {
  /** ONNX Runtime intra-op threads. Default: all cores, at most 4 (see docs/benchmarks.md). */
  threads?: number;
  /** Texts per inference call. Default 32. */
  batchSize?: number;
  /**
   * Let idle intra-op threads spin-wait for work. Off by default: on a busy 2-core machine
   * spinning halved throughput with 2 threads (12.8 vs 23.8 texts/s, batch 8, load average 15);
   * on idle cores it can shave a little latency.
   */
  spin?: boolean;
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
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly needsTokenTypes: boolean,
    threads: number,
    options: OnnxEmbedderOptions,
  ) {
    this.modelId = spec.modelId;
    this.dims = spec.dims;
    this.maxTokens = spec.maxTokens;
    this.threads = threads;
    this.batchSize = options.batchSize ?? 32;
    this.warn = options.onWarning ?? ((message) => process.stderr.write(`planvec: warning: ${message}\n`));
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
    const tokenizer = new WordPieceTokenizer(
      spec.tokenizerJsonPath,
      spec.tokenizerConfigPath,
      spec.maxTokens,
    );
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(spec.onnxPath, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        extra: { session: { intra_op: { allow_spinning: options.spin ? "1" : "0" } } },
      });
    } catch (error) {
      throw new EmbeddingError("load model", "model_invalid", `onnxruntime cannot load ${spec.onnxPath}`, {
        cause: error,
      });
    }
    for (const input of ["input_ids", "attention_mask"]) {
      if (!session.inputNames.includes(input)) {
        throw new EmbeddingError("load model", "model_invalid", `${spec.onnxPath} has no ${input} input`);
      }
    }
    const needsTokenTypes = session.inputNames.includes("token_type_ids");
    return new OnnxEmbedder(spec, session, tokenizer, needsTokenTypes, threads, options);
  }

  /** Embed texts; one L2-normalised vector per text, in input order. */
  embed(texts: string[]): Promise<Float32Array[]> {
    try {
      assertEmbeddable(texts);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(new EmbeddingError("embed", "closed", "the embedder is closed"));
    // One inference at a time per session: the session already uses every thread it was given.
    const run = this.queue.then(() => this.embedNow(texts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedNow(texts: string[]): Promise<Float32Array[]> {
    const encoded = texts.map((text) => this.tokenizer.encode(normaliseText(text)));
    const truncated = encoded.filter((e) => e.truncated).length;
    if (truncated > 0) {
      this.stats.truncated += truncated;
      this.warn(
        `${truncated} of ${texts.length} text(s) cut to the model's ${this.maxTokens} word pieces ` +
          `(${this.stats.truncated} so far); the rest of those texts is not represented in their vectors`,
      );
    }
    const order = encoded.map((e, index) => ({ index, e })).sort((a, b) => a.e.ids.length - b.e.ids.length);
    const out = new Array<Float32Array>(texts.length);
    for (const slice of this.batches(order)) {
      const vectors = await this.runBatch(slice.map(({ e }) => e));
      slice.forEach(({ index }, i) => {
        const vector = vectors[i];
        if (vector) out[index] = vector;
      });
    }
    this.stats.texts += texts.length;
    return out;
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
          padded > MAX_BATCH_TOKENS ||
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
    const shape = [batch.length, sequence];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", ids, shape),
      attention_mask: new ort.Tensor("int64", mask, shape),
    };
    if (this.needsTokenTypes) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(size), shape);
    let output: ort.Tensor;
    try {
      const results = await this.session.run(feeds);
      const first = results[this.session.outputNames[0] ?? "last_hidden_state"];
      if (!first) throw new Error("no output tensor");
      output = first;
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
    const dims = output.dims[2];
    if (output.dims.length !== 3 || dims !== this.dims) {
      throw new EmbeddingError(
        "embed",
        "model_invalid",
        `model output has shape [${output.dims.join(", ")}], expected [batch, sequence, ${this.dims}]`,
      );
    }
    this.stats.batches += 1;
    return meanPoolNormalise(
      output.data as Float32Array,
      batch.map((e) => e.ids.length),
      sequence,
      this.dims,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.session.release();
  }
}
