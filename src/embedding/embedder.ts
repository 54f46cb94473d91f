/**
 * The embedding interface the rest of planvec uses (indexing pipeline, search, REST API,
 * migration) and the factory that builds the local one. Keep this surface stable.
 *
 * ```ts
 * const embedder = await createEmbedder();              // shipped all-MiniLM-L6-v2, cached
 * const [vector] = await embedder.embed(["Implémenter le client Qdrant unifié"]);
 * vector.length === embedder.dims;                       // 384, L2-normalised: dot = cosine
 * await embedder.close();
 * ```
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CachedEmbedder, type CacheStats } from "./cache/cached-embedder.js";
import { DiskCache } from "./cache/disk.js";
import { MemoryCache } from "./cache/memory.js";
import { RedisCache } from "./cache/redis.js";
import type { CacheLevel } from "./cache/types.js";
import { type EmbeddingConfig, loadEmbeddingConfig } from "./config.js";
import { EmbeddingError } from "./errors.js";
import { fetchHubModel } from "./hub.js";
import { defaultModelDir, type ModelSpec, type ModelVariant, resolveModel } from "./model-files.js";
import { OnnxEmbedder } from "./onnx-embedder.js";

/** Turns texts into vectors. Implementations are safe to call concurrently. */
export interface Embedder {
  /** Identifies the model and variant (e.g. `all-MiniLM-L6-v2/int8`); stored with vectors and cache entries. */
  readonly modelId: string;
  /** Vector length (384 for all-MiniLM-L6-v2). */
  readonly dims: number;
  /** Word pieces read per text, [CLS]/[SEP] included (256); longer texts are cut with a warning. */
  readonly maxTokens: number;
  /**
   * One L2-normalised vector per text, in input order; the same text always gives the same
   * vector. Throws EmbeddingError `empty_text` for an empty or whitespace-only text.
   */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Release the model and cache connections. Further embed() calls reject. */
  close(): Promise<void>;
}

/** Cache settings; `false` in EmbedderOptions.cache disables all three levels. */
export interface EmbeddingCacheOptions {
  /** L1 bound in bytes. Default 64 MiB. */
  memoryBytes?: number;
  /** L2: Redis URL; default `REDIS_URL`, else the config file, else no L2. `null` disables. */
  redisUrl?: string | null;
  /** L3: SQLite file; default `<PLANVEC_CACHE_DIR or ~/.cache/planvec>/embeddings.sqlite`. `null` disables. */
  diskPath?: string | null;
  /** Redis entry lifetime, seconds. Default 30 days. */
  redisTtlSeconds?: number;
}

/** How to build the local embedder. Every field is optional. */
export interface EmbedderOptions {
  /** Model directory (sentence-transformers or transformers.js layout). Default: `PLANVEC_MODEL_DIR`, config `embedding.modelDir`, else the shipped `models/all-MiniLM-L6-v2`. */
  modelDir?: string;
  /**
   * Hub model id (`owner/name`, optionally `@revision`) instead of a directory: downloaded once
   * into `<cache dir>/models/` from `HF_ENDPOINT` (default huggingface.co), then used offline.
   * Default: `PLANVEC_MODEL`, config `embedding.model`. A model directory always wins.
   */
  model?: string;
  /** `int8` (23 MB file) or `fp32` (90 MB). Default: `PLANVEC_MODEL_VARIANT`, config, else `int8`. */
  variant?: ModelVariant;
  /** Threads for inference in all. Default: `PLANVEC_EMBED_THREADS`, config, else all cores (max 4). */
  threads?: number;
  /**
   * Inference sessions side by side, each in a worker thread (threads / workers intra-op
   * threads each). Default: `PLANVEC_EMBED_WORKERS`, config, else one per thread; 1 runs a
   * single session with every thread on the calling thread.
   */
  workers?: number;
  /** Texts per inference call. Default 32. */
  batchSize?: number;
  /** Spin-wait idle onnxruntime threads (see OnnxEmbedderOptions.spin). Default false. */
  spin?: boolean;
  /** Cache levels; default L1 + L3 (+ L2 when a Redis URL is configured). */
  cache?: EmbeddingCacheOptions | false;
  /** Where warnings go (truncation, Redis down). Default: stderr. */
  onWarning?: (message: string) => void;
  /** Environment to read (tests pass their own). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** What createEmbedder returns: an Embedder plus what `planvec model info` and the stats need. */
export interface LocalEmbedder extends Embedder {
  readonly spec: ModelSpec;
  readonly threads: number;
  readonly workers: number;
  /** Intra-op threads of each session (threads / workers). */
  readonly threadsPerSession: number;
  readonly batchSize: number;
  /** Texts cut at maxTokens since creation. */
  truncatedCount(): number;
  /** Per-level hit/miss counters, or null when the cache is off. */
  cacheStats(): CacheStats | null;
  /** True when L2 is configured and Redis currently answers; null without L2. */
  redisAvailable(): boolean | null;
}

const VARIANTS: readonly ModelVariant[] = ["int8", "fp32"];

function parseVariant(value: string, source: string): ModelVariant {
  if ((VARIANTS as readonly string[]).includes(value)) return value as ModelVariant;
  throw new EmbeddingError(
    "configure embedder",
    "invalid_input",
    `${source} must be int8 or fp32, got "${value}"`,
  );
}

function parseThreads(value: string | number, source: string): number {
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new EmbeddingError("configure embedder", "invalid_input", `${source} must be a positive integer`);
  }
  return threads;
}

/** The default cache directory: `PLANVEC_CACHE_DIR`, config, else `$XDG_CACHE_HOME/planvec` or `~/.cache/planvec`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, config: EmbeddingConfig = {}): string {
  if (env.PLANVEC_CACHE_DIR) return resolve(env.PLANVEC_CACHE_DIR);
  if (config.cacheDir) return resolve(config.cacheDir);
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "planvec");
}

/**
 * The model to run: a directory (option, `PLANVEC_MODEL_DIR`, config `modelDir`), else a hub
 * id (option, `PLANVEC_MODEL`, config `model`) fetched into the cache, else the shipped model.
 */
async function locateModel(
  options: EmbedderOptions,
  env: NodeJS.ProcessEnv,
  config: EmbeddingConfig,
  variant: ModelVariant,
  warn: (message: string) => void,
): Promise<ModelSpec> {
  if (options.modelDir) return resolveModel(resolve(options.modelDir), variant);
  if (!options.model && env.PLANVEC_MODEL_DIR) return resolveModel(defaultModelDir(env), variant);
  const hubId = options.model ?? env.PLANVEC_MODEL ?? (config.modelDir ? undefined : config.model);
  if (!hubId) return resolveModel(config.modelDir ? resolve(config.modelDir) : defaultModelDir(env), variant);
  const [id = "", revision] = hubId.split("@");
  const dir = await fetchHubModel(id, {
    variant,
    cacheDir: defaultCacheDir(env, config),
    ...(env.HF_ENDPOINT ? { endpoint: env.HF_ENDPOINT } : {}),
    ...(revision ? { revision } : {}),
    ...(env.HF_TOKEN ? { token: env.HF_TOKEN } : {}),
    offline: env.HF_HUB_OFFLINE === "1" || env.HF_HUB_OFFLINE === "true",
    onProgress: warn,
  });
  return resolveModel(dir, variant, revision ? `${id}@${revision}` : id);
}

/**
 * Build the local ONNX embedder with its cache. Precedence for each setting: the option, then
 * the environment (`PLANVEC_MODEL_DIR`, `PLANVEC_MODEL_VARIANT`, `PLANVEC_EMBED_THREADS`,
 * `REDIS_URL`, `PLANVEC_CACHE_DIR`), then the `embedding:` section of the config file
 * (`CONFIG_PATH` or ./planvec.yaml), then the defaults. Nothing is downloaded unless a hub
 * model id is configured (`model`, `PLANVEC_MODEL`, `embedding.model`).
 */
export async function createEmbedder(options: EmbedderOptions = {}): Promise<LocalEmbedder> {
  const env = options.env ?? process.env;
  const config = loadEmbeddingConfig(env);
  const warn =
    options.onWarning ?? ((message: string) => process.stderr.write(`planvec: warning: ${message}\n`));
  const variant =
    options.variant ??
    (env.PLANVEC_MODEL_VARIANT
      ? parseVariant(env.PLANVEC_MODEL_VARIANT, "PLANVEC_MODEL_VARIANT")
      : (config.variant ?? "int8"));
  parseVariant(variant, "variant");
  const threads =
    options.threads ??
    (env.PLANVEC_EMBED_THREADS
      ? parseThreads(env.PLANVEC_EMBED_THREADS, "PLANVEC_EMBED_THREADS")
      : config.threads);
  const workers =
    options.workers ??
    (env.PLANVEC_EMBED_WORKERS
      ? parseThreads(env.PLANVEC_EMBED_WORKERS, "PLANVEC_EMBED_WORKERS")
      : config.workers);
  const spec = await locateModel(options, env, config, variant, warn);
  const onnx = await OnnxEmbedder.load(spec, {
    ...(threads === undefined ? {} : { threads }),
    ...(workers === undefined ? {} : { workers }),
    batchSize: options.batchSize ?? config.batchSize ?? 32,
    spin: options.spin ?? false,
    onWarning: warn,
  });

  let cached: CachedEmbedder | null = null;
  let redis: RedisCache | null = null;
  if (options.cache !== false && config.cache !== false) {
    const cacheOptions = options.cache ?? {};
    const levels: CacheLevel[] = [new MemoryCache(cacheOptions.memoryBytes ?? config.memoryBytes)];
    const redisUrl =
      cacheOptions.redisUrl === undefined
        ? (env.REDIS_URL ?? config.redisUrl ?? null)
        : cacheOptions.redisUrl;
    if (redisUrl) {
      redis = new RedisCache({
        url: redisUrl,
        modelId: spec.modelId,
        dims: spec.dims,
        onWarning: warn,
        ...(cacheOptions.redisTtlSeconds === undefined ? {} : { ttlSeconds: cacheOptions.redisTtlSeconds }),
      });
      await redis.connect();
      levels.push(redis);
    }
    const diskPath =
      cacheOptions.diskPath === undefined
        ? join(defaultCacheDir(env, config), "embeddings.sqlite")
        : cacheOptions.diskPath;
    if (diskPath) {
      try {
        levels.push(
          new DiskCache({ path: diskPath, modelId: spec.modelId, dims: spec.dims, onWarning: warn }),
        );
      } catch (error) {
        for (const level of levels) await level.close();
        await onnx.close();
        throw error;
      }
    }
    cached = new CachedEmbedder(onnx, levels);
  }
  const front: Embedder = cached ?? onnx;
  return {
    modelId: spec.modelId,
    dims: spec.dims,
    maxTokens: spec.maxTokens,
    spec,
    threads: onnx.threads,
    workers: onnx.workers,
    threadsPerSession: onnx.threadsPerSession,
    batchSize: onnx.batchSize,
    embed: (texts) => front.embed(texts),
    close: () => front.close(),
    truncatedCount: () => onnx.stats.truncated,
    cacheStats: () => cached?.stats() ?? null,
    redisAvailable: () => (redis ? redis.available : null),
  };
}
