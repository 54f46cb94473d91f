import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexSources } from "../../src/pipeline/indexer.js";
import { openWorkspace, type Workspace } from "../../src/pipeline/workspace.js";

let root: string;
let workspace: Workspace;

const PLAN_A =
  "# Plan A\n## Phase 1\n- [ ] **1.1** Implémenter le client Qdrant unifié\n- [x] **1.2** Écrire les tests de migration\n";
const PLAN_B = "# Plan B\n## Setup\n- [ ] Configure the Redis cache\n  - [ ] Add a health check\n";

async function run(force = false) {
  return indexSources({
    roots: [join(root, "repo")],
    kinds: workspace.kinds,
    store: workspace.store,
    // biome-ignore lint/style/noNonNullAssertion: opened with an embedder
    embedder: workspace.embedder!,
    state: workspace.state,
    force,
    cwd: root,
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "planvec-index-"));
  await mkdir(join(root, "repo", "plans"), { recursive: true });
  await mkdir(join(root, "repo", "ignored"), { recursive: true });
  await writeFile(join(root, "repo", "plans", "a.md"), PLAN_A);
  await writeFile(join(root, "repo", "plans", "b.md"), PLAN_B);
  await writeFile(join(root, "repo", ".gitignore"), "ignored/\n");
  await writeFile(join(root, "repo", "ignored", "c.md"), "- [ ] hidden task\n");
  await writeFile(join(root, "repo", "plans", "binary.md"), Buffer.from([0x23, 0x20, 0x00, 0x01, 0x02]));
  workspace = await openWorkspace({
    store: `embedded:${join(root, "store")}`,
    embedder: true,
    env: { ...process.env, PLANVEC_CACHE_DIR: join(root, "cache") },
  });
});

afterAll(async () => {
  await workspace?.close();
  await rm(root, { recursive: true, force: true });
});

describe("indexSources", () => {
  it("indexes tasks and section chunks, honours .gitignore, skips binary files", async () => {
    const summary = await run();
    expect(summary.files).toMatchObject({ seen: 3, changed: 2, skipped: 1 });
    expect(summary.collections.roadmap_tasks).toBe(4);
    expect(await workspace.store.count("roadmap_tasks")).toBe(4);
    expect(summary.collections.documents).toBeGreaterThanOrEqual(4);
    expect(summary.records.embedded).toBe(summary.records.total);
    expect(summary.warnings).toEqual([
      expect.objectContaining({ file: "repo/plans/binary.md", code: "binary-file" }),
    ]);
    const files = workspace.state.files().map((row) => row.file);
    expect(files).toEqual(["repo/plans/a.md", "repo/plans/b.md"]);
  });

  it("does nothing on a re-run with nothing changed", async () => {
    const summary = await run();
    expect(summary.files).toMatchObject({ changed: 0, unchanged: 2 });
    expect(summary.records).toMatchObject({ embedded: 0, payloadOnly: 0, deleted: 0 });
  });

  it("re-reads a touched file but embeds nothing when its content is the same", async () => {
    const later = new Date(Date.now() + 5000);
    await utimes(join(root, "repo", "plans", "a.md"), later, later);
    const summary = await run();
    expect(summary.files).toMatchObject({ changed: 0, unchanged: 2 });
    expect(summary.records.embedded).toBe(0);
  });

  it("embeds only what changed: a moved task is a payload update, an edited one is re-embedded", async () => {
    // A blank line shifts both tasks (payload: line) and the title of 1.2 changes (text).
    await writeFile(
      join(root, "repo", "plans", "a.md"),
      PLAN_A.replace("## Phase 1\n", "## Phase 1\n\n").replace(
        "Écrire les tests de migration",
        "Écrire les tests d'intégration",
      ),
    );
    const summary = await run();
    expect(summary.files.changed).toBe(1);
    expect(summary.records.deleted).toBeGreaterThanOrEqual(1); // the old 1.2 record (its key has the old title)
    const tasks = workspace.state
      .recordsOfCollection("roadmap_tasks")
      .filter((row) => row.file === "repo/plans/a.md");
    expect(tasks.map((row) => [row.payload.line, row.payload.title])).toEqual([
      [4, "Implémenter le client Qdrant unifié"],
      [5, "Écrire les tests d'intégration"],
    ]);
    // 1.1 kept its vector: only a payload update. Its store payload has the new line.
    const [point] = await workspace.store.get("roadmap_tasks", [tasks[0]?.pointId as string]);
    expect(point?.payload?.line).toBe(4);
    expect(summary.records.payloadOnly).toBeGreaterThanOrEqual(1);
    expect(await workspace.store.count("roadmap_tasks")).toBe(4);
  });

  it("deletes the records of a file that disappeared", async () => {
    await rm(join(root, "repo", "plans", "b.md"));
    const summary = await run();
    expect(summary.files.removed).toBe(1);
    expect(await workspace.store.count("roadmap_tasks")).toBe(2);
    expect(
      await workspace.store.count("roadmap_tasks", {
        must: [{ key: "file", match: { value: "repo/plans/b.md" } }],
      }),
    ).toBe(0);
    expect(workspace.state.files().map((row) => row.file)).toEqual(["repo/plans/a.md"]);
  });
});
