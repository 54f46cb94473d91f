import type { Command } from "commander";
import { displayPath, expandPaths } from "../../core/files.js";
import { computeProgress, type PlanProgress } from "../../markdown/progress.js";
import { type ParsedPlanFile, parsePlanFile } from "../../markdown/read-plan.js";
import { ExitCode } from "../exit-codes.js";
import { bar, formatPercent, printJson } from "../format.js";
import { type PlanCommandOptions, resolveParseOptions, withPlanOptions } from "../plan-options.js";

interface ProgressFlags extends PlanCommandOptions {
  strict?: boolean;
}

/** `planvec progress PATH...`: done/total per plan and phase, against declared progress. */
export function registerProgressCommand(program: Command): void {
  withPlanOptions(
    program
      .command("progress")
      .description("Progress per plan and per top-level section, checked against `Progression: N%` lines")
      .argument("<paths...>", "plan files or directories")
      .option("--strict", "exit with code 1 when a declared progress disagrees with the tasks"),
  ).action(async (paths: string[], flags: ProgressFlags) => {
    const options = resolveParseOptions(flags);
    const reports: ProgressReport[] = [];
    for (const file of await expandPaths(paths)) {
      const plan = await parsePlanFile(file, options);
      reports.push({
        file: displayPath(file),
        ...computeProgress(plan),
        hiddenTaskLines: hiddenTaskLines(plan),
      });
    }
    if (flags.json) printJson(reports);
    else for (const report of reports) printReport(report);
    if (flags.strict && reports.some((report) => report.checks.some((check) => check.mismatch))) {
      process.exitCode = ExitCode.Findings;
    }
  });
}

/** A plan's progress, plus the task-like lines a broken or unclosed fence hides from the count. */
type ProgressReport = PlanProgress & {
  file: string;
  hiddenTaskLines: { fenceLine: number; count: number }[];
};

function hiddenTaskLines(plan: ParsedPlanFile): ProgressReport["hiddenTaskLines"] {
  return plan.fences
    .filter(
      (fence) =>
        fence.taskLikeLines.length > 0 &&
        (fence.suspiciousCloserLines.length > 0 || fence.closedAtLine === null),
    )
    .map((fence) => ({ fenceLine: fence.line, count: fence.taskLikeLines.length }));
}

function printReport(report: ProgressReport): void {
  const out = process.stdout;
  out.write(
    `${report.file}  ${bar(report.percent)} ${formatPercent(report.percent)}  ${report.done}/${report.total}`,
  );
  if (report.declared)
    out.write(`  declared ${report.declared.declared}%${report.declared.mismatch ? "  ⚠ MISMATCH" : ""}`);
  out.write("\n");
  for (const phase of report.phases) {
    const title = phase.title.length > 48 ? `${phase.title.slice(0, 47)}…` : phase.title;
    out.write(
      `  ${title.padEnd(48)} ${bar(phase.percent, 12)} ${formatPercent(phase.percent)} ${String(phase.done).padStart(4)}/${String(phase.total).padEnd(4)}`,
    );
    if (phase.declared) {
      out.write(` declared ${phase.declared.declared}%`);
      if (phase.declared.mismatch)
        out.write(`  ⚠ declared ${phase.declared.declared}%, computed ${phase.percent}%`);
    }
    out.write("\n");
  }
  for (const hidden of report.hiddenTaskLines) {
    out.write(
      `  ${report.file}:${hidden.fenceLine}: ${hidden.count} task-like line(s) are inside a code block that is not closed where it seems to be (run planvec lint)\n`,
    );
  }
  for (const check of report.checks) {
    if (!check.mismatch) continue;
    out.write(
      `  ${report.file}:${check.line}: declared ${check.declared}%, computed ${check.percent}% (${check.done}/${check.total}) in "${check.section.at(-1) ?? "the plan"}"\n`,
    );
  }
}
