import { type Command, Option } from "commander";
import { UsageError } from "../../core/errors.js";
import { createEmbedder, type EmbedderOptions } from "../../embedding/embedder.js";
import { EmbeddingError } from "../../embedding/errors.js";
import { assertEmbeddable } from "../../embedding/text.js";
import { printJson } from "../format.js";

interface EmbedFlags {
  json?: boolean;
  cache: boolean;
  modelDir?: string;
  model?: string;
  variant?: "int8" | "fp32";
  threads?: string;
  workers?: string;
}

/** Shared model-selection flags of `embed` and `model info`. */
export function withModelOptions(command: Command): Command {
  return command
    .option(
      "--model-dir <dir>",
      "model directory (default: PLANVEC_MODEL_DIR or the shipped all-MiniLM-L6-v2)",
    )
    .option(
      "--model <id>",
      "hub model id[@revision], e.g. Xenova/multilingual-e5-small: downloaded once from HF_ENDPOINT " +
        "(default huggingface.co) into the cache, offline afterwards (default: PLANVEC_MODEL)",
    )
    .addOption(
      new Option("--variant <variant>", "ONNX graph to run (default int8)").choices(["int8", "fp32"]),
    )
    .option("--threads <n>", "threads for inference in all (default: all cores, at most 4)")
    .option(
      "--workers <n>",
      "inference sessions side by side in worker threads (default: one per thread; 1: one session using every thread)",
    );
}

/** Turn CLI flags into createEmbedder options; bad values are usage errors (exit 2). */
export function embedderOptionsFromFlags(flags: Omit<EmbedFlags, "json" | "cache">): EmbedderOptions {
  const options: EmbedderOptions = {};
  if (flags.modelDir) options.modelDir = flags.modelDir;
  if (flags.model) options.model = flags.model;
  if (flags.variant) options.variant = flags.variant;
  if (flags.threads !== undefined) options.threads = positiveFlag("--threads", flags.threads);
  if (flags.workers !== undefined) options.workers = positiveFlag("--workers", flags.workers);
  return options;
}

function positiveFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(
      "embed",
      `invalid_${flag.slice(2)}`,
      `${flag} must be a positive integer, got "${value}"`,
    );
  }
  return n;
}

/** Input problems (empty text, bad model directory) are the user's to fix: exit code 2. */
export function asUsageError(error: unknown): unknown {
  if (
    error instanceof EmbeddingError &&
    ["empty_text", "invalid_input", "model_not_found", "hub_unreachable", "hub_denied"].includes(error.code)
  ) {
    return new UsageError(error.operation, error.code, error.message, { cause: error });
  }
  return error;
}

/** `planvec embed TEXT...`: embed texts offline with the local model, print vectors and timing. */
export function registerEmbedCommand(program: Command): void {
  withModelOptions(
    program
      .command("embed")
      .description(
        "Embed texts with the local model (all-MiniLM-L6-v2, 384-d, L2-normalised); nothing is downloaded",
      )
      .argument("<texts...>", "texts to embed (quote each one)")
      .option("--json", "print {model, dims, timing, cache, vectors} as JSON")
      .option("--no-cache", "bypass the embedding cache (memory, Redis, disk)"),
  ).action(async (texts: string[], flags: EmbedFlags) => {
    const started = performance.now();
    // Reject bad input before the model loads (about a second).
    try {
      assertEmbeddable(texts);
    } catch (error) {
      throw asUsageError(error);
    }
    const options = embedderOptionsFromFlags(flags);
    if (!flags.cache) options.cache = false;
    let embedder: Awaited<ReturnType<typeof createEmbedder>> | undefined;
    try {
      embedder = await createEmbedder(options);
      const loaded = performance.now();
      const vectors = await embedder.embed(texts);
      const done = performance.now();
      const timing = {
        loadMs: round(loaded - started),
        embedMs: round(done - loaded),
        totalMs: round(done - started),
      };
      if (flags.json) {
        printJson({
          model: embedder.modelId,
          dims: embedder.dims,
          threads: embedder.threads,
          timing,
          cache: embedder.cacheStats(),
          truncated: embedder.truncatedCount(),
          vectors: texts.map((text, i) => ({ text, vector: Array.from(vectors[i] ?? []) })),
        });
        return;
      }
      const out: string[] = [];
      texts.forEach((text, i) => {
        const vector = vectors[i] ?? new Float32Array();
        const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
        out.push(`# ${JSON.stringify(text)}: ${vector.length} dims, norm ${norm.toFixed(6)}`);
        out.push(`[${Array.from(vector, (x) => x.toFixed(7)).join(", ")}]`);
      });
      const cache = embedder.cacheStats();
      const cacheLine = cache
        ? `, cache L1 ${cache.l1.hits} hit / L2 ${cache.l2 ? cache.l2.hits : "off"} / L3 ${cache.l3 ? cache.l3.hits : "off"}, ${cache.computed} computed`
        : ", cache off";
      out.push(
        `# ${embedder.modelId}, ${embedder.threads} thread(s): load ${timing.loadMs} ms, embed ${timing.embedMs} ms${cacheLine}`,
      );
      process.stdout.write(`${out.join("\n")}\n`);
    } catch (error) {
      throw asUsageError(error);
    } finally {
      await embedder?.close();
    }
  });
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
