import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IndexState, toFtsQuery } from "../../src/pipeline/index-state.js";

let dir: string;
let state: IndexState;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-state-"));
  state = IndexState.open(dir, "embedded:test");
  const record = (key: string, title: string, status: string) => ({
    key,
    file: "plan.md",
    collection: "roadmap_tasks" as const,
    pointId: key,
    textHash: key,
    payloadHash: key,
    title,
    section: "Phase 1",
    text: title,
    payload: { file: "plan.md", line: 1, title, section: ["Phase 1"], kind: "plan" as const, status },
  });
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
