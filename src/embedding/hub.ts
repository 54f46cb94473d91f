/**
 * Models by hub id (`Xenova/all-MiniLM-L6-v2`, `Xenova/multilingual-e5-small`, ...), for users
 * whose machines reach the Hugging Face hub or a mirror of it. planvec itself never needs this:
 * the shipped model works offline. A hub model is downloaded once into the cache directory and
 * read from there afterwards, so a machine that fetched it once keeps working offline.
 *
 * Layout expected on the hub: the transformers.js one (tokenizer.json, config.json,
 * onnx/model_quantized.onnx or onnx/model.onnx), which every `Xenova/*` and most
 * `onnx-community/*` sentence-embedding repositories follow.
 */
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { EmbeddingError } from "./errors.js";
import { type ModelVariant, ONNX_CANDIDATES } from "./model-files.js";

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

export interface HubOptions {
  variant: ModelVariant;
  /** Where downloaded models live: `<cacheDir>/models/<owner>--<name>/<revision>/`. */
  cacheDir: string;
  /** Hub base URL. Default: `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Branch, tag or commit. Default `main`. */
  revision?: string;
  /** Bearer token for gated or private models (`HF_TOKEN`). */
  token?: string;
  /** Never touch the network; fail unless the model is already cached (`HF_HUB_OFFLINE=1`). */
  offline?: boolean;
  /** Progress lines ("downloading X (12.3 MB)"). Default: none. */
  onProgress?: (message: string) => void;
}

const ID_RULE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const REQUIRED = ["config.json", "tokenizer.json"];
const OPTIONAL = ["tokenizer_config.json", "special_tokens_map.json", "sentence_bert_config.json"];
const COMPLETE = ".planvec-complete";

/** Check a hub id's shape (`owner/name` or `name`); `..` and other path tricks are refused. */
export function validateHubId(id: string): void {
  if (!ID_RULE.test(id) || id.includes("..")) {
    throw new EmbeddingError(
      "resolve hub model",
      "invalid_input",
      `"${id}" is not a hub model id (expected owner/name, e.g. Xenova/all-MiniLM-L6-v2)`,
    );
  }
}

/** The directory a hub model is (or will be) cached in. */
export function hubModelDir(id: string, options: Pick<HubOptions, "cacheDir" | "revision">): string {
  validateHubId(id);
  return join(options.cacheDir, "models", id.replace("/", "--"), options.revision ?? "main");
}

/**
 * A local directory holding hub model `id` with the graph of `variant`: the cached copy when
 * complete, else downloaded now (each file to a temporary name, renamed when whole, so an
 * interrupted download never leaves a half file behind that looks complete).
 */
export async function fetchHubModel(id: string, options: HubOptions): Promise<string> {
  const dir = hubModelDir(id, options);
  const have = cachedFiles(dir);
  if (have && hasVariant(have, options.variant)) return dir;
  if (options.offline) {
    throw new EmbeddingError(
      "resolve hub model",
      "model_not_found",
      `hub model ${id} (${options.variant}) is not in the cache ${dir} and HF_HUB_OFFLINE is set; ` +
        "download it once with network access, or set PLANVEC_MODEL_DIR to a local copy",
    );
  }
  const endpoint = (options.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, "");
  const revision = options.revision ?? "main";
  const base = `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}`;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  mkdirSync(dir, { recursive: true });
  const got = new Set(have ?? []);
  const download = async (file: string, required: boolean): Promise<boolean> => {
    if (got.has(file)) return true;
    const url = `${base}/${file}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, redirect: "follow" });
    } catch (error) {
      throw new EmbeddingError(
        "download hub model",
        "hub_unreachable",
        `cannot reach ${endpoint} for ${id} (${(error as Error).message}); planvec works offline with ` +
          "its shipped model: unset PLANVEC_MODEL / embedding.model, set PLANVEC_MODEL_DIR to a local " +
          "copy, or HF_ENDPOINT to a reachable mirror",
        { cause: error },
      );
    }
    if (response.status === 404) {
      await response.body?.cancel();
      if (!required) return false;
      throw new EmbeddingError(
        "download hub model",
        "model_not_found",
        `hub model ${id} has no ${file} (${url} answered 404): check the id and revision`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new EmbeddingError(
        "download hub model",
        "hub_denied",
        `${url} answered ${response.status}: the model is gated or private; set HF_TOKEN to a token with access`,
      );
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new EmbeddingError("download hub model", "hub_error", `${url} answered ${response.status}`);
    }
    const target = join(dir, file);
    mkdirSync(dirname(target), { recursive: true });
    const partial = `${target}.part`;
    const size = Number(response.headers.get("content-length"));
    options.onProgress?.(
      `downloading ${id} ${file}${Number.isFinite(size) && size > 0 ? ` (${(size / 1e6).toFixed(1)} MB)` : ""}`,
    );
    try {
      await pipeline(
        Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
        createWriteStream(partial),
      );
    } catch (error) {
      rmSync(partial, { force: true });
      throw new EmbeddingError("download hub model", "hub_error", `download of ${url} failed`, {
        cause: error,
      });
    }
    renameSync(partial, target);
    got.add(file);
    return true;
  };
  for (const file of REQUIRED) await download(file, true);
  for (const file of OPTIONAL) await download(file, false);
  let graph: string | undefined;
  for (const candidate of ONNX_CANDIDATES[options.variant]) {
    if (await download(candidate, false)) {
      graph = candidate;
      break;
    }
  }
  if (!graph) {
    throw new EmbeddingError(
      "download hub model",
      "model_not_found",
      `hub model ${id} has no ${options.variant} ONNX graph (tried ${ONNX_CANDIDATES[options.variant].join(", ")}); ` +
        `try the other variant (--variant ${options.variant === "int8" ? "fp32" : "int8"})`,
    );
  }
  for (const file of REQUIRED) {
    try {
      JSON.parse(readFileSync(join(dir, file), "utf8"));
    } catch (error) {
      rmSync(join(dir, file), { force: true });
      throw new EmbeddingError("download hub model", "model_invalid", `${id}: ${file} is not JSON`, {
        cause: error,
      });
    }
  }
  writeFileSync(
    join(dir, COMPLETE),
    `${JSON.stringify({ id, revision, files: [...got].sort() }, null, 2)}\n`,
  );
  return dir;
}

/** Files of a complete cached download, or null when there is none. */
function cachedFiles(dir: string): string[] | null {
  const marker = join(dir, COMPLETE);
  if (!existsSync(marker)) return null;
  try {
    const files = (JSON.parse(readFileSync(marker, "utf8")) as { files?: unknown }).files;
    if (!Array.isArray(files)) return null;
    const names = files.filter((f): f is string => typeof f === "string");
    return names.every((f) => existsSync(join(dir, f))) ? names : null;
  } catch {
    return null;
  }
}

function hasVariant(files: string[], variant: ModelVariant): boolean {
  return ONNX_CANDIDATES[variant].some((name) => files.includes(name));
}
