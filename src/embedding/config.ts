import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { parse as parseYaml } from "yaml";
import { configFilePath } from "../config/markdown-config.js";
import { EmbeddingError } from "./errors.js";
import type { ModelVariant } from "./model-files.js";

/**
 * The `embedding:` section of the config file (planvec.yaml), all optional:
 *
 * ```yaml
 * embedding:
 *   modelDir: ./models/all-MiniLM-L6-v2   # any sentence-transformers / transformers.js ONNX dir
 *   model: Xenova/multilingual-e5-small   # or a hub id (downloaded once; modelDir wins)
 *   variant: int8                         # or fp32
 *   threads: 2                            # threads for inference in all
 *   workers: 2                            # sessions side by side (default: one per thread)
 *   batchSize: 32
 *   cache: true                           # false disables every level
 *   cacheDir: ~/.cache/planvec            # L3 SQLite file lives here
 *   memoryBytes: 67108864                 # L1 bound
 *   redisUrl: redis://127.0.0.1:6379      # L2, REDIS_URL wins
 * ```
 */
export interface EmbeddingConfig {
  modelDir?: string;
  model?: string;
  variant?: ModelVariant;
  threads?: number;
  workers?: number;
  batchSize?: number;
  cache?: boolean;
  cacheDir?: string;
  memoryBytes?: number;
  redisUrl?: string;
}

function fail(file: string, field: string, expected: string): never {
  throw new EmbeddingError(
    "load config",
    "invalid_input",
    `${file}: embedding.${field} must be ${expected} (fix or remove the field)`,
  );
}

/** Read and validate `embedding:` from the config file, or `{}` when there is none. */
export function loadEmbeddingConfig(env: NodeJS.ProcessEnv = process.env): EmbeddingConfig {
  const file = configFilePath(env);
  if (!file) return {};
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new EmbeddingError("load config", "invalid_input", `cannot read config file ${file}`, {
      cause: error,
    });
  }
  const section = (document as { embedding?: unknown } | null)?.embedding;
  if (section === undefined || section === null) return {};
  if (typeof section !== "object") fail(file, "", "a mapping");
  const raw = section as Record<string, unknown>;
  const config: EmbeddingConfig = {};
  const text = (field: string): string | undefined => {
    const value = raw[field];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") fail(file, field, "a non-empty string");
    return value;
  };
  const positive = (field: string): number | undefined => {
    const value = raw[field];
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
      fail(file, field, "a positive integer");
    return value;
  };
  const modelDir = text("modelDir");
  if (modelDir) config.modelDir = modelDir;
  const model = text("model");
  if (model) config.model = model;
  const variant = text("variant");
  if (variant !== undefined) {
    if (variant !== "int8" && variant !== "fp32") fail(file, "variant", "int8 or fp32");
    config.variant = variant;
  }
  const threads = positive("threads");
  if (threads) config.threads = threads;
  const workers = positive("workers");
  if (workers) config.workers = workers;
  const batchSize = positive("batchSize");
  if (batchSize) config.batchSize = batchSize;
  const memoryBytes = positive("memoryBytes");
  if (memoryBytes) config.memoryBytes = memoryBytes;
  if (raw.cache !== undefined) {
    if (typeof raw.cache !== "boolean") fail(file, "cache", "true or false");
    config.cache = raw.cache;
  }
  const cacheDir = text("cacheDir");
  if (cacheDir) config.cacheDir = cacheDir.replace(/^~(?=\/|$)/, homedir());
  const redisUrl = text("redisUrl");
  if (redisUrl) config.redisUrl = redisUrl;
  return config;
}
