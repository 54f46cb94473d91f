/**
 * Retrieval metrics for the search evaluation, as pure functions: recall@k and MRR@k over
 * queries that each have one target task plus acceptable alternatives (identical copies of
 * the task in other plans). The runner (`npm run eval:search`) feeds them ranked results.
 */

/** A task as the parser reports it: plan file and 1-based line. */
export interface TaskRef {
  file: string;
  line: number;
}

/** What counts as a hit for one query. */
export interface Judgement {
  target: TaskRef;
  alternatives?: readonly TaskRef[];
}

/** One query's ranked results (best first) with its judgement. */
export interface QueryRun {
  results: readonly TaskRef[];
  judgement: Judgement;
}

/**
 * Same task: same line and the same file. Files match when equal or when one is a path
 * ending in `/<the other>`, because the relevance set names plans by file name while an
 * index may report paths relative to its root (`plans/x.md`) or absolute.
 */
export function sameTask(a: TaskRef, b: TaskRef): boolean {
  if (a.line !== b.line) return false;
  const fa = a.file.replace(/\\/g, "/");
  const fb = b.file.replace(/\\/g, "/");
  return fa === fb || fa.endsWith(`/${fb}`) || fb.endsWith(`/${fa}`);
}

/** Whether a result is the target or one of its alternatives. */
export function isRelevant(result: TaskRef, judgement: Judgement): boolean {
  return (
    sameTask(result, judgement.target) || (judgement.alternatives ?? []).some((alt) => sameTask(result, alt))
  );
}

/** 1-based rank of the first relevant result within the top `k`, or null when none. */
export function firstRelevantRank(
  results: readonly TaskRef[],
  judgement: Judgement,
  k: number,
): number | null {
  const limit = Math.min(Math.max(0, Math.floor(k)), results.length);
  for (let i = 0; i < limit; i++) {
    if (isRelevant(results[i] as TaskRef, judgement)) return i + 1;
  }
  return null;
}

/**
 * recall@k: the fraction of queries with a relevant result in their top k. Each query has
 * one relevant task (its alternatives are the same task elsewhere), so this is the hit rate.
 * 0 for an empty run list.
 */
export function recallAtK(runs: readonly QueryRun[], k: number): number {
  if (runs.length === 0) return 0;
  let hits = 0;
  for (const run of runs) if (firstRelevantRank(run.results, run.judgement, k) !== null) hits++;
  return hits / runs.length;
}

/** MRR@k: mean over queries of 1/rank of the first relevant result, 0 when not in the top k. */
export function mrrAtK(runs: readonly QueryRun[], k: number): number {
  if (runs.length === 0) return 0;
  let sum = 0;
  for (const run of runs) {
    const rank = firstRelevantRank(run.results, run.judgement, k);
    if (rank !== null) sum += 1 / rank;
  }
  return sum / runs.length;
}

/** Both metrics and the per-query ranks (null = missed), for a report. */
export function evaluateRuns(
  runs: readonly QueryRun[],
  k: number,
): { k: number; queries: number; recall: number; mrr: number; ranks: (number | null)[] } {
  return {
    k,
    queries: runs.length,
    recall: recallAtK(runs, k),
    mrr: mrrAtK(runs, k),
    ranks: runs.map((run) => firstRelevantRank(run.results, run.judgement, k)),
  };
}
