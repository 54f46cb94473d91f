import type { DeclaredProgress, ParsedPlan, Section, Task } from "./types.js";

/** Declared and computed progress disagreeing by more than this many points is flagged. */
export const PROGRESS_TOLERANCE_POINTS = 5;

export interface Tally {
  done: number;
  total: number;
  /** Computed percentage (0-100, one decimal), null when there are no tasks. */
  percent: number | null;
}

export interface ProgressCheck extends Tally {
  /** Heading path the declaration applies to ([] = the whole plan). */
  section: string[];
  line: number;
  declared: number;
  /** True when |declared - computed| > tolerance (and there are tasks to compute from). */
  mismatch: boolean;
}

export interface PhaseProgress extends Tally {
  title: string;
  /** Line of the phase heading; null for tasks before the first phase. */
  line: number | null;
  declared: ProgressCheck | null;
}

export interface PlanProgress extends Tally {
  declared: ProgressCheck | null;
  phases: PhaseProgress[];
  /** Every `Progression:` line compared with the tasks of its section. */
  checks: ProgressCheck[];
}

/** Progress of one parsed plan: overall, per top-level section (phase), and per declaration. */
export function computeProgress(
  plan: Pick<ParsedPlan, "tasks" | "sections" | "declaredProgress">,
): PlanProgress {
  const checks = plan.declaredProgress.map((declaration) => checkDeclaration(declaration, plan.tasks));
  const title = documentTitle(plan.sections);
  const phases = phaseSections(plan.sections, title);

  const phaseRows: PhaseProgress[] = [];
  const unphased = plan.tasks.filter((task) => !phases.some((phase) => contains(phase, task.line)));
  if (unphased.length > 0) {
    phaseRows.push({ title: "(before the first section)", line: null, declared: null, ...tally(unphased) });
  }
  for (const phase of phases) {
    const tasks = plan.tasks.filter((task) => contains(phase, task.line));
    const declared = checks.find((check) => samePath(check.section, phase.path)) ?? null;
    phaseRows.push({ title: phase.title, line: phase.line, declared, ...tally(tasks) });
  }

  const planPaths: string[][] = title ? [[], title.path] : [[]];
  const declared = checks.find((check) => planPaths.some((path) => samePath(check.section, path))) ?? null;
  return { ...tally(plan.tasks), declared, phases: phaseRows, checks };
}

/** The top-level section (phase) title of each task, by task line; tasks before any phase are absent. */
export function phaseByTaskLine(plan: Pick<ParsedPlan, "tasks" | "sections">): Map<number, string> {
  const phases = phaseSections(plan.sections, documentTitle(plan.sections));
  const result = new Map<number, string>();
  for (const task of plan.tasks) {
    const phase = phases.find((section) => contains(section, task.line));
    if (phase) result.set(task.line, phase.title);
  }
  return result;
}

function checkDeclaration(declaration: DeclaredProgress, tasks: Task[]): ProgressCheck {
  const inSection = tasks.filter((task) => startsWith(task.section, declaration.section));
  const counts = tally(inSection);
  const mismatch =
    counts.percent !== null && Math.abs(declaration.percent - counts.percent) > PROGRESS_TOLERANCE_POINTS;
  return {
    section: declaration.section,
    line: declaration.line,
    declared: declaration.percent,
    mismatch,
    ...counts,
  };
}

export function tally(tasks: readonly Pick<Task, "status">[]): Tally {
  const done = tasks.reduce((n, task) => n + (task.status === "done" ? 1 : 0), 0);
  const total = tasks.length;
  return { done, total, percent: total === 0 ? null : Math.round((done / total) * 1000) / 10 };
}

/** The document title: the first heading, when it is the only one at the shallowest level. */
function documentTitle(sections: Section[]): Section | null {
  const first = sections[0];
  if (!first) return null;
  const minLevel = Math.min(...sections.map((s) => s.level));
  const atMin = sections.filter((s) => s.level === minLevel);
  return atMin.length === 1 && atMin[0] === first ? first : null;
}

/** Top-level sections: the shallowest headings below the title (or the shallowest, without one). */
function phaseSections(sections: Section[], title: Section | null): Section[] {
  const candidates = title ? sections.filter((s) => s !== title) : sections;
  if (candidates.length === 0) return [];
  const level = Math.min(...candidates.map((s) => s.level));
  return candidates.filter((s) => s.level === level);
}

function contains(section: Section, line: number): boolean {
  return line >= section.line && line <= section.endLine;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => part === path[i]);
}
