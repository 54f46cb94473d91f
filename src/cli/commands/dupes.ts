import type { Command } from "commander";
import { UsageError } from "../../core/errors.js";
import { printJson } from "../format.js";
import { withStoreOption } from "../store-option.js";

/** `planvec dupes`: near-duplicate tasks across the indexed plans. */
export function registerDupesCommand(program: Command): void {
  withStoreOption(
    program
      .command("dupes")
      .description("Find near-duplicate tasks across indexed plans, and copies of whole plans")
      .option("--threshold <cosine>", "minimum cosine similarity (default tuned on the corpus)")
      .option("--limit <n>", "clusters to print (readable output)", "30")
      .option("--json", "print JSON: {files: [...], clusters: [...]}"),
  ).action(async (flags: { store?: string; threshold?: string; limit: string; json?: boolean }) => {
    const threshold = flags.threshold === undefined ? undefined : Number(flags.threshold);
    if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) {
      throw new UsageError(
        "dupes",
        "invalid_threshold",
        `--threshold must be a number in (0, 1], got "${flags.threshold}"`,
      );
    }
    const { openWorkspace } = await import("../../pipeline/workspace.js");
    const { findDuplicates } = await import("../../search/duplicates.js");
    const workspace = await openWorkspace({ store: flags.store });
    try {
      const report = await findDuplicates(workspace, { threshold });
      if (flags.json) {
        printJson(report);
        return;
      }
      for (const copy of report.files) {
        process.stdout.write(
          `${copy.identical ? "identical copies" : `near copies (${Math.round(copy.similarity * 100)}% of tasks shared)`}: ${copy.files[0]} ≈ ${copy.files[1]}\n`,
        );
      }
      const limit = Number(flags.limit);
      for (const cluster of report.clusters.slice(0, limit)) {
        process.stdout.write(
          `\n${cluster.statusConflict ? "⚠ status conflict · " : ""}${cluster.members.length} tasks · similarity ≥ ${cluster.similarity.toFixed(3)}\n`,
        );
        for (const member of cluster.members) {
          process.stdout.write(
            `  ${member.file}:${member.line}: [${member.status === "done" ? "x" : " "}] ${member.title}\n`,
          );
        }
      }
      process.stdout.write(
        `\n${report.files.length} copied plan pair(s), ${report.clusters.length} duplicate cluster(s), ${report.clusters.filter((c) => c.statusConflict).length} with a status conflict\n`,
      );
    } finally {
      await workspace.close();
    }
  });
}
