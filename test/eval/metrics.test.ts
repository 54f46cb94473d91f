import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluateRuns,
  firstRelevantRank,
  isRelevant,
  mrrAtK,
  type QueryRun,
  recallAtK,
  sameTask,
  type TaskRef,
} from "../../eval/metrics.js";

const t = (file: string, line: number): TaskRef => ({ file, line });

describe("sameTask / isRelevant", () => {
  it("matches file names against relative or absolute paths, and requires the same line", () => {
    expect(sameTask(t("a.md", 3), t("a.md", 3))).toBe(true);
    expect(sameTask(t("plans/a.md", 3), t("a.md", 3))).toBe(true);
    expect(sameTask(t("a.md", 3), t("/work/corpus/plans/a.md", 3))).toBe(true);
    expect(sameTask(t("plans\\a.md", 3), t("a.md", 3))).toBe(true);
    expect(sameTask(t("a.md", 3), t("a.md", 4))).toBe(false);
    expect(sameTask(t("ba.md", 3), t("a.md", 3))).toBe(false);
  });

  it("accepts alternatives", () => {
    const judgement = { target: t("a.md", 1), alternatives: [t("b.md", 7)] };
    expect(isRelevant(t("b.md", 7), judgement)).toBe(true);
    expect(isRelevant(t("b.md", 8), judgement)).toBe(false);
  });
});

describe("recall@k and MRR@k", () => {
  const runs: QueryRun[] = [
    // hit at rank 1
    { results: [t("a.md", 1), t("x.md", 1)], judgement: { target: t("a.md", 1) } },
    // hit at rank 3 through an alternative
    {
      results: [t("x.md", 1), t("x.md", 2), t("c.md", 9)],
      judgement: { target: t("b.md", 2), alternatives: [t("c.md", 9)] },
    },
    // relevant only at rank 4
    {
      results: [t("x.md", 1), t("x.md", 2), t("x.md", 3), t("d.md", 4)],
      judgement: { target: t("d.md", 4) },
    },
    // never found
    { results: [], judgement: { target: t("e.md", 5) } },
  ];

  it("computes recall and MRR by hand-checked values", () => {
    expect(recallAtK(runs, 3)).toBeCloseTo(2 / 4);
    expect(mrrAtK(runs, 3)).toBeCloseTo((1 + 1 / 3) / 4);
    expect(recallAtK(runs, 10)).toBeCloseTo(3 / 4);
    expect(mrrAtK(runs, 10)).toBeCloseTo((1 + 1 / 3 + 1 / 4) / 4);
    expect(recallAtK(runs, 1)).toBeCloseTo(1 / 4);
    expect(evaluateRuns(runs, 3)).toEqual({
      k: 3,
      queries: 4,
      recall: 0.5,
      mrr: (1 + 1 / 3) / 4,
      ranks: [1, 3, null, null],
    });
  });

  it("counts a query once even when several results are relevant", () => {
    const run: QueryRun = {
      results: [t("x.md", 1), t("a.md", 1), t("b.md", 1)],
      judgement: { target: t("a.md", 1), alternatives: [t("b.md", 1)] },
    };
    expect(firstRelevantRank(run.results, run.judgement, 10)).toBe(2);
    expect(mrrAtK([run], 10)).toBeCloseTo(0.5);
    expect(recallAtK([run], 10)).toBe(1);
  });

  it("returns 0 for no queries and for k = 0", () => {
    expect(recallAtK([], 10)).toBe(0);
    expect(mrrAtK([], 10)).toBe(0);
    expect(recallAtK(runs, 0)).toBe(0);
  });

  it("keeps 0 ≤ MRR ≤ recall ≤ 1 and both non-decreasing in k (property)", () => {
    const ref = fc.record({
      file: fc.constantFrom("a.md", "b.md", "c.md"),
      line: fc.integer({ min: 1, max: 4 }),
    });
    const run = fc.record({
      results: fc.array(ref, { maxLength: 12 }),
      judgement: fc.record({ target: ref, alternatives: fc.array(ref, { maxLength: 2 }) }),
    });
    fc.assert(
      fc.property(fc.array(run, { maxLength: 15 }), fc.integer({ min: 0, max: 12 }), (all, k) => {
        const recall = recallAtK(all, k);
        const mrr = mrrAtK(all, k);
        expect(mrr).toBeGreaterThanOrEqual(0);
        expect(mrr).toBeLessThanOrEqual(recall + 1e-12);
        expect(recall).toBeLessThanOrEqual(1);
        expect(recallAtK(all, k + 1)).toBeGreaterThanOrEqual(recall);
        expect(mrrAtK(all, k + 1)).toBeGreaterThanOrEqual(mrr);
      }),
    );
  });
});
