import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EmbeddingError } from "./errors.js";

/** Which ONNX graph of a model directory to run. */
export type ModelVariant = "int8" | "fp32";

/** Everything the runtime needs to know about a model directory, read from its files. */
export interface ModelSpec {
  /**
   * Stable id used in cache keys and stored vectors, e.g. `all-MiniLM-L6-v2/int8@c4e9c95d`: the
   * suffix is the graph's sha256 from the directory's SHA256SUMS when it lists one, so a new
   * graph under the same name never mixes with vectors (or cache entries) of the old one.
   */
  readonly modelId: string;
  readonly dir: string;
  readonly variant: ModelVariant;
  readonly onnxPath: string;
  readonly tokenizerJsonPath: string;
  readonly tokenizerConfigPath: string;
  /** Output width (config.json `hidden_size`). */
  readonly dims: number;
  /** Word pieces per text including [CLS] and [SEP] (sentence_bert_config `max_seq_length`). */
  readonly maxTokens: number;
}

/** The model shipped in the repository. */
export const DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2";

/**
 * The package root: the nearest ancestor of this module holding planvec's package.json.
 * Works from `src/embedding/` (tsx, vitest) and from `dist/embedding/` (built package).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "planvec") return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new EmbeddingError("locate model", "model_not_found", "cannot find planvec's package root");
    }
    dir = parent;
  }
}

/** `PLANVEC_MODEL_DIR` when set, else `<package root>/models/all-MiniLM-L6-v2`. */
export function defaultModelDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PLANVEC_MODEL_DIR) return resolve(env.PLANVEC_MODEL_DIR);
  return join(packageRoot(), "models", DEFAULT_MODEL_NAME);
}

/**
 * ONNX file names per variant. The transformers.js layout (`onnx/model*.onnx`) comes first so
 * any model directory prepared for transformers.js works; a bare `model.onnx` is accepted too.
 */
export const ONNX_CANDIDATES: Record<ModelVariant, string[]> = {
  int8: ["onnx/model_quantized.onnx", "onnx/model_int8.onnx", "model_quantized.onnx"],
  fp32: ["onnx/model.onnx", "model.onnx"],
};

function readJson(path: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new EmbeddingError("load model", "model_invalid", `cannot read ${what} ${path}`, { cause: error });
  }
}

/**
 * Read a model directory (sentence-transformers or transformers.js layout) and describe it;
 * `name` (default: the directory's name) goes into the model id. Fails with `model_not_found` naming the missing file and how to point planvec elsewhere.
 */
export function resolveModel(dir: string, variant: ModelVariant = "int8", name?: string): ModelSpec {
  const absolute = resolve(dir);
  if (!existsSync(absolute)) {
    throw new EmbeddingError(
      "load model",
      "model_not_found",
      `model directory ${absolute} does not exist (set PLANVEC_MODEL_DIR or embedding.modelDir)`,
    );
  }
  const onnxName = ONNX_CANDIDATES[variant].find((name) => existsSync(join(absolute, name)));
  if (!onnxName) {
    throw new EmbeddingError(
      "load model",
      "model_not_found",
      `no ${variant} ONNX graph in ${absolute} (looked for ${ONNX_CANDIDATES[variant].join(", ")})`,
    );
  }
  const required = ["tokenizer.json", "config.json"];
  for (const name of required) {
    if (!existsSync(join(absolute, name))) {
      throw new EmbeddingError(
        "load model",
        "model_not_found",
        `missing ${name} in model directory ${absolute}`,
      );
    }
  }
  const config = readJson(join(absolute, "config.json"), "model config");
  const dims = Number(config.hidden_size);
  if (!Number.isInteger(dims) || dims <= 0) {
    throw new EmbeddingError("load model", "model_invalid", `config.json in ${absolute} has no hidden_size`);
  }
  const positions = Number(config.max_position_embeddings) || 512;
  const stConfigPath = join(absolute, "sentence_bert_config.json");
  const stMax = existsSync(stConfigPath)
    ? Number(readJson(stConfigPath, "sentence-transformers config").max_seq_length)
    : Number.NaN;
  // sentence-transformers truncates at max_seq_length (256 for all-MiniLM-L6-v2), not at the
  // 512 positions BERT has: parity with Python needs the same cut.
  const maxTokens = Number.isInteger(stMax) && stMax > 0 ? Math.min(stMax, positions) : positions;
  const tokenizerConfigPath = join(absolute, "tokenizer_config.json");
  const label = name ?? absolute.split(/[\\/]/).filter(Boolean).pop() ?? "model";
  const revision = listedDigest(absolute, onnxName);
  return {
    modelId: `${label}/${variant}${revision ? `@${revision.slice(0, 8)}` : ""}`,
    dir: absolute,
    variant,
    onnxPath: join(absolute, onnxName),
    tokenizerJsonPath: join(absolute, "tokenizer.json"),
    tokenizerConfigPath,
    dims,
    maxTokens,
  };
}

/** The sha256 SHA256SUMS (sha256sum format) lists for `file`, or null without one. */
function listedDigest(dir: string, file: string): string | null {
  const sums = join(dir, "SHA256SUMS");
  if (!existsSync(sums)) return null;
  for (const line of readFileSync(sums, "utf8").split("\n")) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (match?.[2] === file) return match[1] ?? null;
  }
  return null;
}
