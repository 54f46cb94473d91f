import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { createEmbedder } from "../../embedding/embedder.js";
import { describeModel } from "../../embedding/model-info.js";
import { printJson } from "../format.js";
import { asUsageError, embedderOptionsFromFlags, withModelOptions } from "./embed.js";

interface ModelInfoFlags {
  json?: boolean;
  modelDir?: string;
  model?: string;
  variant?: "int8" | "fp32";
  threads?: string;
  workers?: string;
}

/** `planvec model info`: which model runs, its files and checksums, dims, runtime and threads. */
export function registerModelCommand(program: Command): void {
  const model = program.command("model").description("Inspect the local embedding model");
  withModelOptions(
    model
      .command("info")
      .description(
        "Show the model's files (size, sha256 checked against SHA256SUMS), dims, runtime and threads",
      )
      .option("--json", "print as JSON"),
  ).action(async (flags: ModelInfoFlags) => {
    const options = embedderOptionsFromFlags(flags);
    options.cache = false;
    let embedder: Awaited<ReturnType<typeof createEmbedder>> | undefined;
    try {
      // Loading the session proves the graph and tokenizer actually work, not only that files exist.
      embedder = await createEmbedder(options);
      const info = await describeModel(embedder.spec);
      const threads = {
        intraOp: embedder.threadsPerSession,
        workers: embedder.workers,
        cores: availableParallelism(),
        batchSize: embedder.batchSize,
      };
      const bad = info.files.filter((f) => f.check === "mismatch").length + info.missing.length;
      if (bad > 0) process.exitCode = 3;
      if (flags.json) {
        printJson({ ...info, threads });
        return;
      }
      const lines = [
        `model     ${info.modelId}`,
        `directory ${info.dir}`,
        `graph     ${info.onnx} (${info.variant})`,
        `vectors   ${info.dims} dims, mean pooling, L2-normalised (cosine = dot product)`,
        `max input ${info.maxTokens} word pieces (longer texts are cut, with a warning)`,
        `runtime   onnxruntime-node ${info.runtime.onnxruntimeNode}, ${info.runtime.tokenizer}, node ${info.runtime.node}`,
        `threads   ${threads.workers} session(s) × ${threads.intraOp} intra-op thread(s) of ${threads.cores} cores, batch ${threads.batchSize}`,
        "files",
        ...info.files.map(
          (f) => `  ${f.check.padEnd(8)} ${String(f.bytes).padStart(10)}  ${f.sha256}  ${f.path}`,
        ),
        ...info.missing.map((name) => `  missing  ${name} (listed in SHA256SUMS)`),
      ];
      if (bad > 0) lines.push(`${bad} file(s) differ from SHA256SUMS: the model directory is damaged`);
      process.stdout.write(`${lines.join("\n")}\n`);
    } catch (error) {
      throw asUsageError(error);
    } finally {
      await embedder?.close();
    }
  });
}
