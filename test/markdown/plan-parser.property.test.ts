import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/markdown/plan-parser.js";

const word = fc.stringMatching(/^[a-zA-Zéàç]{1,8}$/);
const title = fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join(" "));
const indent = fc.constantFrom("", "  ", "    ", "      ", "   ");

/** Lines that exercise every construct the parser cares about, in random order and nesting. */
const planLine = fc.oneof(
  fc
    .tuple(
      indent,
      fc.constantFrom("- [ ] ", "- [x] ", "* [X] ", "1. [ ] ", "- [✅] ", "+ [✔] "),
      fc.option(fc.constantFrom("**1.2** ", "3.4.5 ")),
      title,
    )
    .map(([i, m, id, t]) => `${i}${m}${id ?? ""}${t}`),
  fc
    .tuple(indent, fc.constantFrom("☐ ", "✅ ", "☑ ", "✔️ ", "- ☐ "), title)
    .map(([i, m, t]) => `${i}${m}${t}`),
  fc.tuple(fc.constantFrom("#", "##", "###"), title).map(([h, t]) => `${h} ${t}`),
  fc.constantFrom(
    "```",
    "```go",
    "```plaintext",
    "~~~",
    "````",
    "",
    "",
    "> ",
    "<div>",
    "</div>",
    "<!--",
    "-->",
    "| a | b |",
    "|---|---|",
  ),
  fc.tuple(indent, title).map(([i, t]) => `${i}${t}`),
  fc.constantFrom("[ref]: http://example.com", "- [ref] see", "**Progression: 40%**", "Progression : 100 %"),
  fc
    .tuple(fc.constantFrom("> ", "> > ", ">"), fc.constantFrom("- [ ] quoted", "☐ quoted", "text"))
    .map(([q, t]) => q + t),
);
const planText = fc.array(planLine, { maxLength: 80 }).map((lines) => lines.join("\n"));

describe("parser properties", () => {
  it("never throws, on any string or any bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), planText), (text) => {
        parsePlan(text);
        parsePlan(text, { fences: "lenient", fixEncoding: true });
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        parsePlan(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("points every task at a source line that contains its title's first word", () => {
    fc.assert(
      fc.property(planText, (text) => {
        const lines = text.split("\n");
        for (const task of parsePlan(text).tasks) {
          const firstWord = task.title.split(" ")[0] ?? "";
          expect(lines[task.line - 1]).toContain(firstWord);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("parses in chunks exactly as in one piece", () => {
    fc.assert(
      fc.property(planText, fc.integer({ min: 1, max: 200 }), (text, chunkChars) => {
        const whole = parsePlan(text);
        const chunked = parsePlan(text, { chunkChars });
        expect(chunked.tasks).toEqual(whole.tasks);
        expect(chunked.sections).toEqual(whole.sections);
        expect(chunked.declaredProgress).toEqual(whole.declaredProgress);
      }),
      { numRuns: 400 },
    );
  });

  it("keeps parents before children, on a shallower level", () => {
    fc.assert(
      fc.property(planText, (text) => {
        const tasks = parsePlan(text).tasks;
        const byLine = new Map(tasks.map((task) => [task.line, task]));
        for (const task of tasks) {
          if (task.parentLine === null) continue;
          const parent = byLine.get(task.parentLine);
          expect(parent).toBeDefined();
          expect(task.parentLine).toBeLessThanOrEqual(task.line);
          expect(parent?.depth).toBeLessThan(task.depth);
        }
      }),
      { numRuns: 300 },
    );
  });
});
