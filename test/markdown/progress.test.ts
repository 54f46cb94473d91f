import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/markdown/plan-parser.js";
import { computeProgress } from "../../src/markdown/progress.js";

const plan = [
  "# Plan v9",
  "Progression globale : 50%",
  "## Phase 1",
  "**Progression: 100%**",
  "- [x] a",
  "- [ ] b",
  "### 1.1 Sub",
  "Progression: 100%",
  "- [x] c",
  "## Phase 2",
  "Progression : 0%",
  "- [ ] d",
  "## Notes",
  "Progression: 30%",
].join("\n");

describe("progress", () => {
  const progress = computeProgress(parsePlan(plan));

  it("counts the plan and each top-level section below the title", () => {
    expect(progress).toMatchObject({ done: 2, total: 4, percent: 50 });
    expect(progress.phases.map((p) => [p.title, p.done, p.total, p.percent])).toEqual([
      ["Phase 1", 2, 3, 66.7],
      ["Phase 2", 0, 1, 0],
      ["Notes", 0, 0, null],
    ]);
  });

  it("compares each declaration with the tasks of its section, flagging gaps over 5 points", () => {
    expect(progress.checks.map((c) => [c.line, c.declared, c.percent, c.mismatch])).toEqual([
      [2, 50, 50, false],
      [4, 100, 66.7, true],
      [8, 100, 100, false],
      [11, 0, 0, false],
      [14, 30, null, false],
    ]);
    expect(progress.declared?.line).toBe(2);
    expect(progress.phases[0]?.declared?.mismatch).toBe(true);
  });

  it("puts tasks before the first section in their own row", () => {
    const rows = computeProgress(parsePlan("- [x] early\n## A\n- [ ] x\n## B")).phases;
    expect(rows.map((r) => [r.title, r.line, r.total])).toEqual([
      ["(before the first section)", null, 1],
      ["A", 2, 1],
      ["B", 4, 0],
    ]);
  });
});
