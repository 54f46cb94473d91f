import type { Command } from "commander";
import { printJson } from "../format.js";
import type { IndexFlags } from "../index-runner.js";
import { withStoreOption } from "../store-option.js";

/** `planvec index [PATH...]` and `planvec status`. */
export function registerIndexCommands(program: Command): void {
  withStoreOption(
    program
      .command("index")
      .description("Index plans, manifests, schemas and policies under PATH (default .) incrementally")
      .argument("[paths...]", "files or directories to index", ["."])
      .option("--json", "print a JSON summary")
      .option("--watch", "keep the index in sync with file changes until interrupted")
      .option("--debounce <ms>", "with --watch: wait this long after the last change", "300")
      .option("--force", "re-read and re-embed everything (the embedding cache still applies)")
      .option("--fences <mode>", "fence mode for plans: strict or lenient"),
  ).action(async (paths: string[], flags: IndexFlags) => {
    const { runIndexCommand } = await import("../index-runner.js");
    await runIndexCommand(paths, flags);
  });

  withStoreOption(
    program
      .command("status")
      .description("What is indexed, and which files changed since (stale) or are not indexed yet")
      .argument("[paths...]", "directories the index covers", ["."])
      .option("--json", "print JSON"),
  ).action(async (paths: string[], flags: { store?: string; json?: boolean }) => {
    const { indexStatus } = await import("../../pipeline/status.js");
    const { openWorkspace } = await import("../../pipeline/workspace.js");
    const workspace = await openWorkspace({ store: flags.store });
    try {
      const status = await indexStatus(paths, workspace);
      if (flags.json) {
        printJson(status);
        return;
      }
      process.stdout.write(
        `store: ${workspace.store.location}\nmodel: ${status.modelId ?? "(nothing indexed yet)"}\n`,
      );
      for (const [collection, count] of Object.entries(status.collections))
        process.stdout.write(`  ${collection.padEnd(18)} ${count}\n`);
      process.stdout.write(
        `files: ${status.indexed} indexed, ${status.stale.length} stale, ${status.unindexed.length} not indexed, ${status.missing.length} gone\n`,
      );
      for (const file of status.stale) process.stdout.write(`  stale: ${file}\n`);
      for (const file of status.unindexed) process.stdout.write(`  not indexed: ${file}\n`);
      for (const file of status.missing) process.stdout.write(`  gone: ${file}\n`);
      if (status.stale.length + status.unindexed.length + status.missing.length > 0)
        process.stdout.write("run `planvec index` to update\n");
    } finally {
      await workspace.close();
    }
  });
}
