import type { Command } from "commander";
import { displayPath, expandPaths } from "../../core/files.js";
import { tally } from "../../markdown/progress.js";
import { parsePlanFile } from "../../markdown/read-plan.js";
import { printJson } from "../format.js";
import { type PlanCommandOptions, resolveParseOptions, withPlanOptions } from "../plan-options.js";

/** `planvec parse FILE...`: tasks, declared progress and warnings of each plan. */
export function registerParseCommand(program: Command): void {
  withPlanOptions(
    program
      .command("parse")
      .description("Parse Markdown plans into tasks (directories are walked for *.md)")
      .argument("<paths...>", "plan files or directories"),
  ).action(async (paths: string[], flags: PlanCommandOptions) => {
    const options = resolveParseOptions(flags);
    const results = [];
    for (const file of await expandPaths(paths)) {
      const plan = await parsePlanFile(file, options);
      const { done, total } = tally(plan.tasks);
      results.push({
        file: displayPath(file),
        stats: { total, done, pending: total - done },
        tasks: plan.tasks.map(({ line, status, id, title, depth, parentLine, section }) => ({
          line,
          status,
          id,
          title,
          depth,
          parentLine,
          section,
        })),
        declaredProgress: plan.declaredProgress,
        warnings: plan.warnings.map(({ line, code, message }) => ({ line, code, message })),
      });
    }
    if (flags.json) {
      printJson(results);
      return;
    }
    for (const result of results) {
      const { total, done, pending } = result.stats;
      process.stdout.write(`${result.file}: ${total} tasks (${done} done, ${pending} pending)\n`);
      for (const warning of result.warnings) {
        process.stdout.write(`  ${result.file}:${warning.line}: ${warning.code}: ${warning.message}\n`);
      }
    }
  });
}
