import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/markdown/plan-parser.js";

const tasksOf = (markdown: string, options = {}) => parsePlan(markdown, options).tasks;
const pick = (markdown: string) =>
  tasksOf(markdown).map((t) => ({ line: t.line, status: t.status, title: t.title }));

describe("checkbox tasks", () => {
  it("recognises every checkbox marker, done iff not [ ]", () => {
    const md = [
      "- [ ] a",
      "- [x] b",
      "- [X] c",
      "- [✅] d",
      "- [✔] e",
      "- [✔️] f",
      "* [ ] g",
      "1. [x] h",
      "3) [ ] i",
    ].join("\n");
    expect(pick(md)).toEqual([
      { line: 1, status: "pending", title: "a" },
      { line: 2, status: "done", title: "b" },
      { line: 3, status: "done", title: "c" },
      { line: 4, status: "done", title: "d" },
      { line: 5, status: "done", title: "e" },
      { line: 6, status: "done", title: "f" },
      { line: 7, status: "pending", title: "g" },
      { line: 8, status: "done", title: "h" },
      { line: 9, status: "pending", title: "i" },
    ]);
  });

  it("requires a space or tab after the checkbox", () => {
    expect(pick("- [ ]\tx\n- [x]y\n- [ ]\n- [y] z")).toEqual([{ line: 1, status: "pending", title: "x" }]);
  });

  it("does not take [1], links, or a checkbox that is not at the start of the item", () => {
    expect(
      tasksOf("- [1] Phase 1\n[3] Phase 3\n- see [x] here\n- [link](http://a.b) [ ] no\n[ ] not in a list"),
    ).toEqual([]);
  });

  it("takes nothing inside fenced or indented code, HTML blocks, headings or tables", () => {
    const md = [
      "```",
      "- [ ] in fence",
      "☐ in fence",
      "```",
      "",
      "    - [ ] indented code",
      "",
      "<div>",
      "- [ ] html block",
      "☐ html",
      "</div>",
      "",
      "## ☐ heading",
      "",
      "| a | b |",
      "|---|---|",
      "| ☐ x | - [ ] y |",
      "",
      "- [ ] real",
    ].join("\n");
    expect(pick(md)).toEqual([{ line: 19, status: "pending", title: "real" }]);
  });

  it("checks the first paragraph of the list item only", () => {
    expect(pick("- text\n\n  [ ] second paragraph\n- ```\n  [ ] code\n  ```")).toEqual([]);
  });

  it("finds tasks at any depth and in block quotes, with hierarchy", () => {
    const md = ["- [ ] A", "  - plain", "    - [x] B", "      1. [ ] C", "- [ ] D", "> - [ ] E"].join("\n");
    const tasks = tasksOf(md);
    expect(tasks.map((t) => [t.line, t.depth, t.parentLine])).toEqual([
      [1, 0, null],
      [3, 2, 1],
      [4, 3, 3],
      [5, 0, null],
      [6, 0, null],
    ]);
  });
});

describe("symbol tasks", () => {
  it("takes each paragraph line that starts with ☐ ✅ ☑ ✔ (variation selector ignored)", () => {
    const md = ["Intro line", "☐ a", "  ✅ b", "☑ c", "✔️ d", "✅️ e", "not ☐ f"].join("\n");
    expect(pick(md)).toEqual([
      { line: 2, status: "pending", title: "a" },
      { line: 3, status: "done", title: "b" },
      { line: 4, status: "done", title: "c" },
      { line: 5, status: "done", title: "d" },
      { line: 6, status: "done", title: "e" },
    ]);
  });

  it("treats a list item starting with a symbol as that item's task", () => {
    const tasks = tasksOf("- ☐ parent\n  - ✅ child");
    expect(tasks.map((t) => [t.line, t.status, t.depth, t.parentLine, t.marker])).toEqual([
      [1, "pending", 0, null, "symbol"],
      [2, "done", 1, 1, "symbol"],
    ]);
  });

  it("nests symbol lines continuing a checkbox item under it, and cuts the title there", () => {
    const tasks = tasksOf("- [ ] Parent title\n  ☐ child one\n  ☐ child two");
    expect(tasks.map((t) => [t.line, t.title, t.depth, t.parentLine])).toEqual([
      [1, "Parent title", 0, null],
      [2, "child one", 1, 1],
      [3, "child two", 1, 1],
    ]);
  });
});

describe("ids and titles", () => {
  it.each([
    ["- [ ] **1.2.3** Title here", "1.2.3", "Title here"],
    ["- [ ] **1.2.3 Title in bold**", "1.2.3", "Title in bold"],
    ["- [ ] 1.2.3 Plain", "1.2.3", "Plain"],
    ["- [ ] 1.2.3. Trailing dot", "1.2.3", "Trailing dot"],
    ["- [ ] **4** Bold single number", "4", "Bold single number"],
    ["- [ ] **1.2**: Colon", "1.2", "Colon"],
    ["- [ ] 2 files to move", null, "2 files to move"],
    ["☐ 3.1 Symbol with id", "3.1", "Symbol with id"],
    [
      "- [x] Use `go test ./...` and [docs](http://x.y) *now* <b>ok</b>",
      null,
      "Use go test ./... and docs now ok",
    ],
    ["- [ ] ![alt text](i.png) ~~old~~ new", null, "alt text old new"],
  ])("%s", (markdown, id, title) => {
    const [task] = tasksOf(markdown);
    expect(task?.id).toBe(id);
    expect(task?.title).toBe(title);
  });

  it("joins a multi-line first paragraph into one title", () => {
    expect(tasksOf("- [ ] first line\n  second line")[0]?.title).toBe("first line second line");
  });
});

describe("sections", () => {
  it("gives each task its heading path, and each section its line range", () => {
    const md = [
      "# Plan v1",
      "## Phase 1",
      "### 1.1 Client",
      "- [ ] a",
      "## Phase 2",
      "- [ ] b",
      "",
      "Setext",
      "======",
      "- [ ] c",
    ].join("\n");
    const plan = parsePlan(md);
    expect(plan.tasks.map((t) => t.section)).toEqual([
      ["Plan v1", "Phase 1", "1.1 Client"],
      ["Plan v1", "Phase 2"],
      ["Setext"],
    ]);
    expect(plan.sections.map((s) => [s.line, s.level, s.endLine])).toEqual([
      [1, 1, 7],
      [2, 2, 4],
      [3, 3, 4],
      [5, 2, 7],
      [8, 1, 10],
    ]);
  });
});

describe("declared progress", () => {
  it.each([
    "Progression: 40%",
    "**Progression: 40%**",
    "*Progression : 40 %*",
    "PROGRESSION: 40%",
    "📊 Progression: 40% ✅",
    "- Progression: 40%",
  ])("reads %s", (line) => {
    expect(parsePlan(`## Phase\n${line}`).declaredProgress).toEqual([
      { line: 2, section: ["Phase"], percent: 40 },
    ]);
  });

  it("reads it in a heading for that heading's section, never in code", () => {
    const plan = parsePlan("# T\n## Phase 1 (Progression: 50%)\n```\nProgression: 10%\n```");
    expect(plan.declaredProgress).toEqual([
      { line: 2, section: ["T", "Phase 1 (Progression: 50%)"], percent: 50 },
    ]);
  });

  it("warns on a percentage over 100", () => {
    expect(parsePlan("Progression: 150%").warnings.map((w) => w.code)).toContain("progress-out-of-range");
  });
});

describe("fences", () => {
  const broken = ["```go", "code", "```plaintext", "- [ ] swallowed", "☐ also", "```", "- [ ] after"].join(
    "\n",
  );

  it("is strict CommonMark by default: a fence with an info string does not close", () => {
    const plan = parsePlan(broken);
    expect(plan.tasks.map((t) => t.line)).toEqual([7]);
    const warning = plan.warnings.find((w) => w.code === "broken-fence");
    expect(warning?.line).toBe(3);
    expect(warning?.message).toContain("swallows 2 task-like line(s)");
  });

  it("lenient mode lets a same-character, long-enough fence with an info string close the block", () => {
    expect(parsePlan(broken, { fences: "lenient" }).tasks.map((t) => t.line)).toEqual([4, 5]);
    // A shorter or different-character line never closes.
    expect(parsePlan("````go\n```text\n- [ ] x\n~~~~ y\n````", { fences: "lenient" }).tasks).toEqual([]);
  });

  it("reports an unclosed fence that swallows the rest of the file", () => {
    const plan = parsePlan("text\n```\n- [ ] a\n- [ ] b");
    expect(plan.tasks).toEqual([]);
    expect(plan.warnings).toEqual([expect.objectContaining({ line: 2, code: "unclosed-fence" })]);
    expect(plan.warnings[0]?.message).toContain("2 task-like");
  });
});

describe("duplicate ids", () => {
  it("warns on the second use of an id in one file", () => {
    const plan = parsePlan("- [ ] **1.1** a\n- [ ] **1.2** b\n- [x] **1.1** c");
    expect(plan.warnings.filter((w) => w.code === "duplicate-id")).toEqual([
      expect.objectContaining({ line: 3, message: "task id 1.1 already used at line 1" }),
    ]);
  });
});

describe("robustness", () => {
  it("survives 10,000-deep nesting with a warning", () => {
    const deep = `${">".repeat(10_000)} - [ ] deep\n${Array.from({ length: 10_000 }, (_, i) => `${" ".repeat(i * 2)}- x`).join("\n")}`;
    const plan = parsePlan(deep);
    expect(plan.warnings.some((w) => w.code === "nesting-limit")).toBe(true);
  });

  it("parses an empty file", () => {
    const plan = parsePlan(new Uint8Array());
    expect(plan).toMatchObject({ tasks: [], sections: [], warnings: [], lineCount: 0 });
  });

  it("parses a 50 MB file", () => {
    const block =
      "## Phase\n- [ ] **1.2.3** a task with `code` and *emphasis*\n  - [x] a child\n☐ a symbol line\n\n";
    const big = block.repeat(Math.ceil((50 * 1024 * 1024) / block.length));
    const plan = parsePlan(Buffer.from(big));
    expect(plan.tasks.length).toBe(3 * Math.ceil((50 * 1024 * 1024) / block.length));
    expect(plan.tasks.at(-1)?.line).toBe(plan.lineCount - 1);
  }, 120_000);
});
