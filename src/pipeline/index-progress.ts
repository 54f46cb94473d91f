import { type Tally, tally } from "../markdown/progress.js";
import type { IndexState } from "./index-state.js";

export interface IndexedPlanProgress extends Tally {
  file: string;
  phases: (Tally & { title: string })[];
}

export interface IndexProgressReport {
  plans: IndexedPlanProgress[];
  /** Records per collection. */
  collections: Record<string, number>;
  overall: Tally;
}

/** Progress per plan and phase from the index (no file is read), and the size of each collection. */
export function progressFromIndex(state: IndexState): IndexProgressReport {
  const tasks = state.recordsOfCollection("roadmap_tasks");
  const byFile = new Map<string, typeof tasks>();
  for (const row of tasks) byFile.set(row.file, [...(byFile.get(row.file) ?? []), row]);
  const asTasks = (rows: typeof tasks) =>
    rows.map((row) => ({ status: row.payload.status === "done" ? ("done" as const) : ("pending" as const) }));
  const plans: IndexedPlanProgress[] = [];
  for (const [file, rows] of byFile) {
    const phases = new Map<string, typeof tasks>();
    for (const row of rows) {
      const phase = typeof row.payload.phase === "string" ? row.payload.phase : "(before the first section)";
      phases.set(phase, [...(phases.get(phase) ?? []), row]);
    }
    plans.push({
      file,
      ...tally(asTasks(rows)),
      phases: [...phases].map(([title, phaseRows]) => ({ title, ...tally(asTasks(phaseRows)) })),
    });
  }
  return { plans, collections: state.counts(), overall: tally(asTasks(tasks)) };
}
