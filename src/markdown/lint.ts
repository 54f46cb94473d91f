import { parsePlan } from "./plan-parser.js";
import { computeProgress } from "./progress.js";
import type { ParseOptions, ParseWarning, WarningSeverity } from "./types.js";

export interface LintFinding {
  line: number;
  code: string;
  severity: WarningSeverity;
  message: string;
}

/**
 * Everything worth telling the author of a plan: decoding and fence problems found while
 * parsing, duplicate ids, declared progress that the tasks contradict, and how many tasks
 * a lenient reading of the fences would add.
 */
export function lintPlan(bytes: Uint8Array, options: ParseOptions = {}): LintFinding[] {
  const strict = parsePlan(bytes, { ...options, fences: "strict" });
  const findings: LintFinding[] = strict.warnings.map(toFinding);

  for (const check of computeProgress(strict).checks) {
    if (!check.mismatch) continue;
    const where = check.section.length > 0 ? `"${check.section.at(-1)}"` : "the plan";
    findings.push({
      line: check.line,
      code: "progress-mismatch",
      severity: "warning",
      message: `${where} declares ${check.declared}%, computed ${check.percent}% (${check.done}/${check.total} tasks done)`,
    });
  }

  if (strict.fences.some((fence) => fence.suspiciousCloserLines.length > 0)) {
    const lenient = parsePlan(bytes, { ...options, fences: "lenient" });
    const delta = lenient.tasks.length - strict.tasks.length;
    if (delta !== 0) {
      const firstBroken = strict.fences.find((fence) => fence.suspiciousCloserLines.length > 0);
      findings.push({
        line: firstBroken?.suspiciousCloserLines[0] ?? 1,
        code: "fences-lenient-differs",
        severity: "warning",
        message: `CommonMark (what GitHub shows) renders ${strict.tasks.length} tasks; with --fences lenient it would be ${lenient.tasks.length} (${delta > 0 ? "+" : ""}${delta})`,
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.code.localeCompare(b.code));
}

function toFinding(warning: ParseWarning): LintFinding {
  return { line: warning.line, code: warning.code, severity: warning.severity, message: warning.message };
}
