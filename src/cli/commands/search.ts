import { type Command, Option } from "commander";
import { UsageError } from "../../core/errors.js";
import { printJson } from "../format.js";
import { withStoreOption } from "../store-option.js";

interface SearchFlags {
  store?: string;
  collection?: string;
  status?: "done" | "pending";
  file?: string;
  section?: string;
  limit: string;
  mode?: "hybrid" | "vector" | "keyword";
  json?: boolean;
}

/** `planvec search QUERY`: hybrid semantic + keyword search over the index. */
export function registerSearchCommand(program: Command): void {
  withStoreOption(
    program
      .command("search")
      .description("Search the index in your own words (semantic + keyword, fused)")
      .argument("<query...>", "what to look for")
      .option(
        "--collection <name>",
        "roadmap_tasks (default), documents, dependencies, schemas, security_policies, or all",
      )
      .addOption(new Option("--status <status>", "only done or pending tasks").choices(["done", "pending"]))
      .option("--file <glob>", "only files matching this glob (e.g. '*v57*' or 'plans/**')")
      .option("--section <text>", "only records whose heading path contains this text")
      .option("--limit <n>", "number of results", "10")
      .addOption(
        new Option("--mode <mode>", "retrieval mode")
          .choices(["hybrid", "vector", "keyword"])
          .default("hybrid"),
      )
      .option("--json", "print JSON: [{score, collection, file, line, id, title, status, section, text}]"),
  ).action(async (words: string[], flags: SearchFlags) => {
    const limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new UsageError(
        "search",
        "invalid_limit",
        `--limit must be an integer from 1 to 1000, got "${flags.limit}"`,
      );
    }
    const { openWorkspace } = await import("../../pipeline/workspace.js");
    const { search } = await import("../../search/search.js");
    const workspace = await openWorkspace({ store: flags.store, embedder: flags.mode !== "keyword" });
    try {
      const hits = await search(
        {
          query: words.join(" "),
          collection: flags.collection,
          status: flags.status,
          file: flags.file,
          section: flags.section,
          limit,
          mode: flags.mode,
        },
        workspace,
      );
      if (flags.json) {
        printJson(hits.map(({ matchedBy: _matchedBy, ...hit }) => hit));
        return;
      }
      if (hits.length === 0) {
        process.stdout.write("no results (is the index built? run `planvec index`)\n");
        return;
      }
      for (const hit of hits) {
        const status = hit.status ? (hit.status === "done" ? "[x] " : "[ ] ") : "";
        const id = hit.id ? `${hit.id} ` : "";
        process.stdout.write(`${hit.file}:${hit.line}: ${status}${id}${hit.title}\n`);
        // The innermost two headings say where; the full path is in --json.
        const where = (hit.section.length > 2 ? ["…", ...hit.section.slice(-2)] : hit.section).join(" › ");
        process.stdout.write(
          `    ${hit.collection}${where ? ` · ${where}` : ""} · score ${hit.score.toFixed(4)}\n`,
        );
      }
    } finally {
      await workspace.close();
    }
  });
}
