import { describe, expect, it } from "vitest";
import { lintPlan } from "../../src/markdown/lint.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("lint", () => {
  it("reports a broken fence, what it swallows, and what lenient fences would change", () => {
    const findings = lintPlan(
      bytes("# P\n```go\nx\n```plaintext\n- [ ] a\n- [ ] b\n\n```go\ny\n```\n- [x] c\n"),
    );
    expect(findings.map((f) => [f.line, f.code])).toEqual([
      [4, "broken-fence"],
      [4, "fences-lenient-differs"],
    ]);
    expect(findings[1]?.message).toBe(
      "CommonMark (what GitHub shows) renders 1 tasks; with --fences lenient it would be 3 (+2)",
    );
  });

  it("reports false progress claims and duplicate ids", () => {
    const findings = lintPlan(bytes("## Phase 1\nProgression: 100%\n- [ ] **1.1** a\n- [ ] **1.1** b\n"));
    expect(findings.map((f) => [f.line, f.code, f.message])).toEqual([
      [2, "progress-mismatch", '"Phase 1" declares 100%, computed 0% (0/2 tasks done)'],
      [4, "duplicate-id", "task id 1.1 already used at line 3"],
    ]);
  });

  it("notes task-like lines inside well-formed code blocks", () => {
    expect(lintPlan(bytes("```md\n- [ ] example\n```\n")).map((f) => [f.code, f.severity])).toEqual([
      ["task-in-code", "info"],
    ]);
  });

  it("is quiet on a clean plan", () => {
    expect(lintPlan(bytes("# P\n## Phase 1\nProgression: 50%\n- [x] a\n- [ ] b\n"))).toEqual([]);
  });
});
