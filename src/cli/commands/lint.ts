import type { Command } from "commander";
import { displayPath, expandPaths } from "../../core/files.js";
import { type LintFinding, lintPlan } from "../../markdown/lint.js";
import { readPlanBytes } from "../../markdown/read-plan.js";
import { ExitCode } from "../exit-codes.js";
import { printJson } from "../format.js";
import { type PlanCommandOptions, resolveParseOptions, withPlanOptions } from "../plan-options.js";

interface LintFlags extends PlanCommandOptions {
  strict?: boolean;
}

/** `planvec lint PATH...`: broken fences, tasks in code, encoding, duplicate ids, false progress. */
export function registerLintCommand(program: Command): void {
  withPlanOptions(
    program
      .command("lint")
      .description(
        "Report defects in plans: broken fences, tasks inside code, encoding, duplicate ids, false progress",
      )
      .argument("<paths...>", "plan files or directories")
      .option("--strict", "exit with code 1 when there is any warning or error"),
  ).action(async (paths: string[], flags: LintFlags) => {
    const options = resolveParseOptions(flags);
    const results: { file: string; findings: LintFinding[] }[] = [];
    for (const file of await expandPaths(paths)) {
      const bytes = await readPlanBytes(file);
      results.push({ file: displayPath(file), findings: lintPlan(bytes, options) });
    }
    if (flags.json) printJson(results);
    else printFindings(results);
    const serious = results.some((result) => result.findings.some((finding) => finding.severity !== "info"));
    if (flags.strict && serious) process.exitCode = ExitCode.Findings;
  });
}

function printFindings(results: { file: string; findings: LintFinding[] }[]): void {
  let warnings = 0;
  let infos = 0;
  for (const { file, findings } of results) {
    for (const finding of findings) {
      if (finding.severity === "info") infos++;
      else warnings++;
      process.stdout.write(
        `${file}:${finding.line}: ${finding.severity} ${finding.code}: ${finding.message}\n`,
      );
    }
  }
  process.stdout.write(`${results.length} file(s): ${warnings} warning(s), ${infos} note(s)\n`);
}
