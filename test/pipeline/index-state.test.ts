import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IndexState, toFtsQuery } from "../../src/pipeline/index-state.js";

let dir: string;
let state: IndexState;

/** A task record of `file` whose embedded text is its title. */
function record(key: string, title: string, status: string, file = "plan.md") {
  return {
    key,
    file,
    collection: "roadmap_tasks" as const,
    pointId: key,
    textHash: key,
    payloadHash: key,
    title,
    section: "Phase 1",
    text: title,
    payload: { file, line: 1, title, section: ["Phase 1"], kind: "plan" as const, status },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-state-"));
  state = IndexState.open(dir, "embedded:test");
  state.commitFile(
    { file: "plan.md", kind: "plan", size: 1, mtimeMs: 1, hash: "h" },
    [
      record("a", "Écrire les tests de charge", "done"),
      record("b", "Implémenter le client Qdrant", "pending"),
    ],
    [],
  );
});

afterAll(async () => {
  state.close();
  await rm(dir, { recursive: true, force: true });
});

describe("keyword index", () => {
  it("quotes every word, drops function words unless nothing else is left, prefixes the last word", () => {
    expect(toFtsQuery("tests de charge")).toBe('"tests" OR "charge"*');
    expect(toFtsQuery("de la")).toBe('"de" OR "la"');
    expect(toFtsQuery('1.2.3 "NEAR(x)" -y')).toBe('"1" OR "2" OR "3" OR "NEAR" OR "x" OR "y"');
    expect(toFtsQuery("  ...  ")).toBeNull();
    // Repeated words once; words the index finds in most records dropped, unless alone.
    expect(toFtsQuery("1.1.1.2 plan")).toBe('"1" OR "2" OR "plan"*');
    const common = (word: string) => ["plan", "md"].includes(word.toLowerCase());
    expect(toFtsQuery("plan-dev-v12.md", common)).toBe('"dev" OR "v12"*');
    expect(toFtsQuery("PLAN md", common)).toBe('"PLAN" OR "md"');
  });

  it("leaves out words found in more than a quarter of the records, and still finds the rest", async () => {
    const many = IndexState.open(join(dir, "common"), "embedded:common");
    try {
      many.commitFile(
        { file: "x.md", kind: "plan", size: 1, mtimeMs: 1, hash: "h" },
        [
          record("c1", "Rédiger la documentation commune", "pending", "x.md"),
          record("c2", "Publier la documentation commune", "done", "x.md"),
          record("c3", "Tester la documentation", "pending", "x.md"),
          record("c4", "Migrer le cache Redis", "pending", "x.md"),
        ],
        [],
      );
      // "documentation" is in 3 of 4 records: ranked on "redis" alone, which only c4 has.
      const hits = many.keywordSearch({
        query: "documentation redis",
        collections: ["roadmap_tasks"],
        limit: 5,
      });
      expect(hits.map((h) => h.row.key)).toEqual(["c4"]);
      // Alone, a common word still searches.
      expect(
        many
          .keywordSearch({ query: "documentation", collections: ["roadmap_tasks"], limit: 5 })
          .map((h) => h.row.key),
      ).toHaveLength(3);
    } finally {
      many.close();
    }
  });

  it("folds case and accents, and filters by status", () => {
    expect(
      state
        .keywordSearch({ query: "ECRIRE", collections: ["roadmap_tasks"], limit: 5 })
        .map((h) => h.row.key),
    ).toEqual(["a"]);
    expect(
      state
        .keywordSearch({
          query: "implementer tests",
          collections: ["roadmap_tasks"],
          limit: 5,
          status: "pending",
        })
        .map((h) => h.row.key),
    ).toEqual(["b"]);
  });

  it("never fails on arbitrary user input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (query) => {
        expect(Array.isArray(state.keywordSearch({ query, collections: ["roadmap_tasks"], limit: 5 }))).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
  });
});
