import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { contentTokens, tokenJaccard } from "../../eval/overlap.js";
import { parsePlan } from "../../src/markdown/index.js";
import type { Task } from "../../src/markdown/types.js";

/**
 * Validates eval/queries.json: targets are real tasks of the corpus plans (as the planvec
 * parser reports them), alternatives list every identical copy, and queries paraphrase
 * rather than copy their targets' words.
 */

interface Ref {
  file: string;
  line: number;
  title: string;
}

interface Query {
  id: string;
  lang: "fr" | "en";
  style: "paraphrase" | "typo" | "no-accents" | "exact-id";
  query: string;
  target: Ref;
  alternatives: Ref[];
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { queries } = JSON.parse(readFileSync(join(ROOT, "eval/queries.json"), "utf8")) as { queries: Query[] };

/**
 * Average Jaccard overlap (content words, accent-folded) between a query and its target's
 * title must stay below this; measured 0.100 when the set was built (most queries keep one
 * domain word, as users do: "MCP", "Kafka", "OAuth"). A set that copied the titles' words
 * would sit above 0.5 and reward plain keyword search.
 */
const MAX_AVERAGE_JACCARD = 0.15;
/** No single query may share more than a third of its content words with its target (max measured: 0.286). */
const MAX_QUERY_JACCARD = 0.34;

// The plans are copied into the repo by the corpus fixtures; the shared corpus is used only
// when that copy is missing (tests never need it: the corpus checks are skipped then).
const PLAN_DIRS = [join(ROOT, "test/fixtures/corpus/plans"), join(ROOT, "../shared/corpus/plans")];
const PLANS = PLAN_DIRS.find((dir) => existsSync(dir));

const norm = (title: string) => title.toLowerCase().split(/\s+/).filter(Boolean).join(" ");

describe("relevance set shape", () => {
  it("has at least 50 queries with unique ids, half or more in French, some English", () => {
    expect(queries.length).toBeGreaterThanOrEqual(50);
    expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
    const french = queries.filter((q) => q.lang === "fr").length;
    expect(french / queries.length).toBeGreaterThanOrEqual(0.5);
    expect(queries.filter((q) => q.lang === "en").length).toBeGreaterThanOrEqual(10);
    expect(
      queries.filter((q) => q.style === "typo" || q.style === "no-accents").length,
    ).toBeGreaterThanOrEqual(5);
    expect(queries.filter((q) => q.style === "exact-id").length).toBeGreaterThanOrEqual(5);
  });

  it("targets distinct tasks", () => {
    const targets = queries.map((q) => `${q.target.file}:${q.target.line}`);
    expect(new Set(targets).size).toBe(targets.length);
  });

  it("names the target's plan file in every exact-id query", () => {
    for (const q of queries.filter((x) => x.style === "exact-id")) {
      expect(q.query, q.id).toContain(q.target.file);
    }
  });

  it("paraphrases: low word overlap with the target title", () => {
    const overlaps = queries.map((q) => ({ id: q.id, jaccard: tokenJaccard(q.query, q.target.title) }));
    const average = overlaps.reduce((sum, o) => sum + o.jaccard, 0) / overlaps.length;
    expect(average).toBeLessThan(MAX_AVERAGE_JACCARD);
    for (const o of overlaps) expect(o.jaccard, o.id).toBeLessThanOrEqual(MAX_QUERY_JACCARD);
    // The measure itself must see shared words, or the assertions above prove nothing.
    expect(tokenJaccard("Implémenter la détection des anomalies", "implementer detection anomalies")).toBe(1);
    expect([...contentTokens("Créer l'index des tâches")]).toEqual(["creer", "index", "taches"]);
  });
});

describe.skipIf(!PLANS)("relevance set against the corpus plans", () => {
  const tasks = new Map<string, Task[]>();

  beforeAll(() => {
    for (const name of readdirSync(PLANS as string).filter((n) => n.endsWith(".md"))) {
      tasks.set(name, parsePlan(readFileSync(join(PLANS as string, name))).tasks);
    }
  });

  const taskAt = (ref: Ref) => tasks.get(ref.file)?.find((task) => task.line === ref.line);

  it("finds every target and alternative as a task with the recorded title", () => {
    for (const q of queries) {
      for (const ref of [q.target, ...q.alternatives]) {
        const task = taskAt(ref);
        expect(task, `${q.id}: no task at ${ref.file}:${ref.line}`).toBeDefined();
        expect(task?.title, `${q.id}: ${ref.file}:${ref.line}`).toBe(ref.title);
      }
    }
  });

  it("lists every identical copy of a target as an alternative", () => {
    const byTitle = new Map<string, string[]>();
    for (const [file, list] of tasks) {
      for (const task of list) {
        const key = norm(task.title);
        byTitle.set(key, [...(byTitle.get(key) ?? []), `${file}:${task.line}`]);
      }
    }
    for (const q of queries) {
      const self = `${q.target.file}:${q.target.line}`;
      const copies = (byTitle.get(norm(q.target.title)) ?? []).filter((where) => where !== self);
      expect(q.alternatives.map((a) => `${a.file}:${a.line}`).sort(), q.id).toEqual(copies.sort());
    }
  });

  it("uses the target's id in exact-id queries", () => {
    for (const q of queries.filter((x) => x.style === "exact-id")) {
      const id = taskAt(q.target)?.id;
      expect(id, q.id).toBeTruthy();
      expect(q.query, q.id).toContain(id as string);
    }
  });
});
