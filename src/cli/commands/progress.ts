import type { Command } from "commander";
import { displayPath, expandPaths } from "../../core/files.js";
import { computeProgress, type PlanProgress } from "../../markdown/progress.js";
import { type ParsedPlanFile, parsePlanFile } from "../../markdown/read-plan.js";
import { ExitCode } from "../exit-codes.js";
import { bar, formatPercent, printJson } from "../format.js";
import { type PlanCommandOptions, resolveParseOptions, withPlanOptions } from "../plan-options.js";

interface ProgressFlags extends PlanCommandOptions {
  strict?: boolean;
  store?: string;
}

/** Progress per plan, phase and collection from the index: no file is read. */
async function progressOfIndex(flags: ProgressFlags): Promise<void> {
  const { openWorkspace } = await import("../../pipeline/workspace.js");
  const { progressFromIndex } = await import("../../pipeline/index-progress.js");
  const workspace = await openWorkspace({ store: flags.store });
  try {
    const report = progressFromIndex(workspace.state);
    if (flags.json) {
      printJson(report);
      return;
    }
    if (report.plans.length === 0) {
      process.stdout.write("the index has no plans yet: run `planvec index` first, or give plan paths\n");
      return;
    }
    const out = process.stdout;
    for (const plan of report.plans) {
      out.write(
        `${plan.file}  ${bar(plan.percent)} ${formatPercent(plan.percent)}  ${plan.done}/${plan.total}\n`,
      );
      for (const phase of plan.phases) {
        const title = phase.title.length > 48 ? `${phase.title.slice(0, 47)}…` : phase.title;
        out.write(
          `  ${title.padEnd(48)} ${bar(phase.percent, 12)} ${formatPercent(phase.percent)} ${String(phase.done).padStart(4)}/${phase.total}\n`,
        );
      }
    }
    out.write(
      `all plans  ${bar(report.overall.percent)} ${formatPercent(report.overall.percent)}  ${report.overall.done}/${report.overall.total}\n`,
    );
    out.write(
      `collections: ${Object.entries(report.collections)
        .map(([name, count]) => `${name} ${count}`)
        .join(", ")}\n`,
    );
  } finally {
    await workspace.close();
  }
}

/** `planvec progress PATH...`: done/total per plan and phase, against declared progress. */
export function registerProgressCommand(program: Command): void {
  withPlanOptions(
    program
      .command("progress")
      .description("Progress per plan and per top-level section, checked against `Progression: N%` lines")
      .argument("[paths...]", "plan files or directories; none: read the index instead")
      .option("--store <spec>", "with no paths: the index's store (embedded:PATH or qdrant:URL)")
      .option("--strict", "exit with code 1 when a declared progress disagrees with the tasks"),
  ).action(async (paths: string[], flags: ProgressFlags) => {
    if (paths.length === 0) {
      await progressOfIndex(flags);
      return;
    }
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
