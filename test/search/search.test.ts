import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexSources } from "../../src/pipeline/indexer.js";
import { openWorkspace, type Workspace } from "../../src/pipeline/workspace.js";
import { search } from "../../src/search/search.js";

let root: string;
let workspace: Workspace;

const V57 = [
  "# Plan v57",
  "## Phase 1: Migration vectorisation",
  "- [ ] **1.1.1** Implémenter le client Qdrant unifié en Go",
  "- [x] **1.1.2** Migrer les vecteurs Python vers Go",
  "## Phase 2: Cache",
  "- [ ] **2.1** Configurer le cache Redis partagé",
  "- [x] **2.2** Écrire les tests de charge",
].join("\n");
const OTHER = [
  "# Roadmap",
  "## Phase 1: Docs",
  "- [ ] **1.1.1** Rédiger le guide utilisateur",
  "- [ ] Set up continuous integration on every push",
  "- [x] Fix the flaky login test",
].join("\n");

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "planvec-search-"));
  await mkdir(join(root, "plans"), { recursive: true });
  await writeFile(join(root, "plans", "plan-dev-v57-consolidation.md"), V57);
  await writeFile(join(root, "plans", "roadmap.md"), OTHER);
  workspace = await openWorkspace({
    store: `embedded:${join(root, "store")}`,
    embedder: true,
    env: { ...process.env, PLANVEC_CACHE_DIR: join(root, "cache") },
  });
  await indexSources({
    roots: ["plans"],
    kinds: workspace.kinds,
    store: workspace.store,
    // biome-ignore lint/style/noNonNullAssertion: opened with an embedder
    embedder: workspace.embedder!,
    state: workspace.state,
    cwd: root,
  });
});

afterAll(async () => {
  await workspace?.close();
  await rm(root, { recursive: true, force: true });
});

const titles = (hits: { title: string }[]) => hits.map((hit) => hit.title);

describe("search", () => {
  it("finds a task by meaning in another language (vector)", async () => {
    const hits = await search({ query: "unified Qdrant client", mode: "vector", limit: 1 }, workspace);
    expect(titles(hits)).toEqual(["Implémenter le client Qdrant unifié en Go"]);
  });

  it("folds accents and case in keyword mode", async () => {
    const hits = await search({ query: "IMPLEMENTER", mode: "keyword" }, workspace);
    expect(titles(hits)).toEqual(["Implémenter le client Qdrant unifié en Go"]);
    expect(hits[0]).toMatchObject({
      file: "plans/plan-dev-v57-consolidation.md",
      line: 3,
      id: "1.1.1",
      status: "pending",
    });
  });

  it("puts an exact task id first, and the named file's task before another file's", async () => {
    const hits = await search({ query: "1.1.1 v57" }, workspace);
    expect(hits[0]).toMatchObject({ id: "1.1.1", file: "plans/plan-dev-v57-consolidation.md" });
    expect(hits[1]).toMatchObject({ id: "1.1.1", file: "plans/roadmap.md" });
  });

  it("filters by status, file glob and section in every mode", async () => {
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      const done = await search(
        { query: "tests migration login vecteurs charge", mode, status: "done", limit: 20 },
        workspace,
      );
      expect(done.length).toBeGreaterThan(0);
      expect(done.every((hit) => hit.status === "done")).toBe(true);
      const inRoadmap = await search(
        { query: "guide tests cache", mode, file: "roadmap*", limit: 20 },
        workspace,
      );
      expect(inRoadmap.length).toBeGreaterThan(0);
      expect(inRoadmap.every((hit) => hit.file === "plans/roadmap.md")).toBe(true);
      const inCache = await search(
        { query: "cache tests Redis", mode, section: "phase 2: CACHE", limit: 20 },
        workspace,
      );
      expect(inCache.length).toBeGreaterThan(0);
      expect(inCache.every((hit) => hit.section.includes("Phase 2: Cache"))).toBe(true);
    }
  });

  it("searches every collection with --collection all, and rejects unknown ones", async () => {
    const hits = await search({ query: "cache Redis", collection: "all", limit: 20 }, workspace);
    expect(new Set(hits.map((hit) => hit.collection))).toEqual(new Set(["roadmap_tasks", "documents"]));
    await expect(search({ query: "x", collection: "tasks" }, workspace)).rejects.toThrow(
      /unknown collection "tasks"/,
    );
  });

  it("hybrid ranks the best match of both retrievers first", async () => {
    const hits = await search({ query: "continuous integration pipeline" }, workspace);
    expect(hits[0]?.title).toBe("Set up continuous integration on every push");
    expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? 0);
  });
});
