import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MigrationEmbedder, migrate } from "../../src/migrate/engine.js";
import { MigrationRefusedError } from "../../src/migrate/errors.js";
import { formatReport } from "../../src/migrate/report.js";
import type { StoredPoint, VectorStore } from "../../src/store/contract.js";
import { exportCollectionToFile } from "../../src/store/index.js";
import { fixture, openTestStore, tempDir } from "./helpers.js";

interface Expected {
  id: number;
  vector: number[];
  payload: Record<string, unknown>;
}
const expected = JSON.parse(readFileSync(fixture("expected.json"), "utf8")) as Expected[];

let dir: string;
let cleanup: () => Promise<void>;
let store: VectorStore;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = await openTestStore(dir);
});
afterEach(async () => {
  await store.close();
  await cleanup();
});

const base = () => ({ store, stateDir: join(dir, "state") });

async function allPoints(collection: string): Promise<StoredPoint[]> {
  const out: StoredPoint[] = [];
  for await (const p of store.exportPoints(collection)) out.push(p);
  return out;
}

describe("migrate into the embedded store", () => {
  it.each(["legacy.json", "legacy.jsonl", "legacy.json.gz", "records-p5.pkl", "matrix-f64f.npy"])(
    "%s: every point written and verified",
    async (name) => {
      // Dot keeps vectors as given (Cosine stores normalise them), so they compare exactly.
      const report = await migrate({
        ...base(),
        source: fixture(name),
        collection: "tasks",
        batchSize: 7,
        distance: "Dot",
      });
      expect(report.ok).toBe(true);
      expect(report.counts).toMatchObject({
        read: 24,
        written: 24,
        failed: 0,
        verified: 24,
        integrityFailures: 0,
      });
      expect(report.target).toMatchObject({ created: true, dims: 8, countBefore: 0, countAfter: 24 });
      expect(report.warnings.join(" ")).toMatch(/no model id/);
      const points = await allPoints("tasks");
      expect(points.map((p) => p.id)).toEqual(expected.map((e) => e.id));
      expect(points.map((p) => p.payload)).toEqual(expected.map((e) => e.payload));
      expect(points.map((p) => p.vector)).toEqual(expected.map((e) => e.vector.map(Math.fround)));
      expect(existsSync(join(dir, "state"))).toBe(true);
    },
  );

  it("Go shape: string ids become UUIDv5, the original kept in payload.original_id", async () => {
    const report = await migrate({ ...base(), source: fixture("go.jsonl.gz"), collection: "go" });
    expect(report.ok).toBe(true);
    const points = await allPoints("go");
    expect(points).toHaveLength(24);
    for (const p of points) {
      expect(String(p.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
      expect(String(p.payload?.original_id)).toMatch(/^task-2\./);
      expect(p.payload?.source).toBe("plan-dev-v57.md");
    }
  });

  it("--dry-run validates everything and writes nothing", async () => {
    const good = await migrate({
      ...base(),
      source: fixture("legacy.json"),
      collection: "dry",
      dryRun: true,
    });
    expect(good.ok).toBe(true);
    expect(good.counts).toMatchObject({ read: 24, written: 0, failed: 0 });
    expect(await store.listCollections()).toEqual([]);
    const bad = await migrate({
      ...base(),
      source: fixture("invalid.jsonl"),
      collection: "dry",
      dryRun: true,
    });
    expect(bad.ok).toBe(false);
    expect(bad.counts.failed).toBe(7);
    expect(bad.rolledBack).toBe(false);
    expect(await store.listCollections()).toEqual([]);
  });

  it("rolls back to the backup when the failure rate is above --max-failure-rate", async () => {
    await store.ensureCollection("tasks", { dims: 8, distance: "Cosine" });
    await store.upsert("tasks", [
      { id: 1, vector: [1, 0, 0, 0, 0, 0, 0, 0], payload: { before: true } },
      { id: 500, vector: [0, 1, 0, 0, 0, 0, 0, 0], payload: { before: true } },
    ]);
    const report = await migrate({
      ...base(),
      source: fixture("invalid.jsonl"),
      collection: "tasks",
      batchSize: 2,
    });
    expect(report.ok).toBe(false);
    expect(report.rolledBack).toBe(true);
    expect(report.rollbackReason).toMatch(/7 of 11 records failed/);
    expect(report.backupFile && existsSync(report.backupFile)).toBe(true);
    const points = await allPoints("tasks");
    expect(points.map((p) => [p.id, p.payload])).toEqual([
      [1, { before: true }],
      [500, { before: true }],
    ]);
    // Every error sample names the record and the reason.
    expect(report.errorSamples.map((e) => [e.index, e.code])).toEqual([
      [1, "empty_vector"],
      [2, "dimension_mismatch"],
      [3, "decode_error"],
      [4, "non_numeric"],
      [6, "duplicate_id"],
      [8, "invalid_id"],
      [9, "invalid_payload"],
    ]);
    expect(formatReport(report)).toMatch(/rolled back/);
  });

  it("keeps the good records when failures stay under the threshold, and still reports failure", async () => {
    const report = await migrate({
      ...base(),
      source: fixture("invalid.jsonl"),
      collection: "t",
      maxFailureRate: 0.9,
    });
    expect(report.ok).toBe(false);
    expect(report.rolledBack).toBe(false);
    expect(report.counts).toMatchObject({ read: 11, written: 4, failed: 7, verified: 4 });
    expect(await store.count("t")).toBe(4);
  });

  it("refuses a dimension mismatch with the numbers, before writing", async () => {
    await store.ensureCollection("big", {
      dims: 384,
      distance: "Cosine",
      metadata: { modelId: "all-MiniLM-L6-v2/int8" },
    });
    const run = migrate({ ...base(), source: fixture("legacy.json"), collection: "big" });
    await expect(run).rejects.toBeInstanceOf(MigrationRefusedError);
    await expect(migrate({ ...base(), source: fixture("legacy.json"), collection: "big" })).rejects.toThrow(
      /source vectors are 8-d but collection big holds 384-d vectors \(model all-MiniLM-L6-v2\/int8\).*--reembed/,
    );
    expect(await store.count("big")).toBe(0);
  });

  it("refuses copying vectors of an unknown model into a collection recorded with a model", async () => {
    await store.ensureCollection("m", { dims: 8, distance: "Cosine", metadata: { modelId: "model-a" } });
    await expect(migrate({ ...base(), source: fixture("legacy.json"), collection: "m" })).rejects.toThrow(
      /model mismatch/,
    );
    const forced = await migrate({
      ...base(),
      source: fixture("legacy.json"),
      collection: "m",
      acceptModelMismatch: true,
    });
    expect(forced.ok).toBe(true);
  });

  it("--on-duplicate last-wins keeps the last record of a repeated id", async () => {
    const file = join(dir, "dups.jsonl");
    const lines = [
      { id: 1, vector: [1, 2], payload: { v: "first" } },
      { id: 2, vector: [3, 4], payload: {} },
      { id: 1, vector: [5, 6], payload: { v: "last" } },
    ];
    await writeFile(file, lines.map((l) => JSON.stringify(l)).join("\n"));
    const strict = await migrate({ ...base(), source: file, collection: "d1", maxFailureRate: 1 });
    expect(strict.counts).toMatchObject({ failed: 1, written: 2 });
    const report = await migrate({
      ...base(),
      source: file,
      collection: "d2",
      onDuplicate: "last-wins",
      distance: "Dot",
    });
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ read: 3, written: 3, duplicates: 1, verified: 3 });
    const [one] = await store.get("d2", [1], { withVector: true });
    expect(one?.payload).toEqual({ v: "last" });
    expect(one?.vector).toEqual([5, 6]);
  });

  it("--reembed embeds the text field and says so in the report", async () => {
    // A deterministic embedder over character codes: enough to check the plumbing; the real
    // ONNX embedder is exercised by the CLI test.
    const embedder: MigrationEmbedder = {
      modelId: "test-char-embedder",
      dims: 4,
      async embed(texts) {
        return texts.map((t) => Float32Array.from([t.length, t.charCodeAt(0), t.charCodeAt(1), 1]));
      },
    };
    const report = await migrate({
      ...base(),
      source: fixture("legacy.json"),
      collection: "re",
      embedder,
      textField: "description",
    });
    expect(report.ok).toBe(true);
    expect(report.vectors).toEqual({
      mode: "reembedded",
      textField: "description",
      model: "test-char-embedder",
    });
    expect(report.target).toMatchObject({ dims: 4, modelId: "test-char-embedder" });
    const info = await store.collectionInfo("re");
    expect(info.metadata?.modelId).toBe("test-char-embedder");
    expect(formatReport(report)).toMatch(/re-embedded from payload.description with test-char-embedder/);
  });

  it("migrates a planvec export (format 7) with its model id", async () => {
    await migrate({ ...base(), source: fixture("legacy.json"), collection: "src" });
    const file = join(dir, "src.planvec.jsonl.gz");
    await exportCollectionToFile(store, "src", file, { modelId: "model-x" });
    const report = await migrate({ ...base(), source: file, collection: "copy" });
    expect(report.ok).toBe(true);
    expect(report.source).toMatchObject({ format: "planvec", modelId: "model-x", dims: 8 });
    expect((await store.collectionInfo("copy")).metadata?.modelId).toBe("model-x");
    expect(await allPoints("copy")).toEqual(await allPoints("src"));
  });
});

describe("fatal read errors and named vectors", () => {
  it("a source that breaks mid-way (truncated JSON) stops the run and rolls back", async () => {
    await store.ensureCollection("t", { dims: 8, distance: "Dot" });
    await store.upsert("t", [{ id: 99, vector: [1, 1, 1, 1, 1, 1, 1, 1], payload: { keep: 1 } }]);
    const report = await migrate({
      ...base(),
      source: fixture("truncated.json"),
      collection: "t",
      batchSize: 2,
    });
    expect(report.ok).toBe(false);
    expect(report.fatal).toMatch(/truncated\.json: unexpected end of input/);
    expect(report.rolledBack).toBe(true);
    expect((await allPoints("t")).map((p) => p.id)).toEqual([99]);
  });

  it("Qdrant-style named vectors: refuses to guess, takes the one named by --vector-name", async () => {
    const file = join(dir, "named.jsonl");
    const rows = [1, 2, 3].map((i) => ({
      id: i,
      vector: { text: [i, 0, 1], image: [0, i] },
      payload: { i },
    }));
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join("\n"));
    const guessed = await migrate({ ...base(), source: file, collection: "n1", dryRun: true });
    expect(guessed.errorSamples[0]?.reason).toMatch(/several named vectors \(text, image\).*--vector-name/);
    const report = await migrate({
      ...base(),
      source: file,
      collection: "n2",
      vectorName: "text",
      distance: "Dot",
    });
    expect(report.ok).toBe(true);
    expect((await store.get("n2", [2], { withVector: true }))[0]?.vector).toEqual([2, 0, 1]);
  });
});

describe("checkpoint and resume (in process)", () => {
  async function interruptedAt(source: string, nextIndex: number): Promise<string> {
    const { checkpointPath, writeCheckpoint, sourceIdentity } = await import(
      "../../src/migrate/checkpoint.js"
    );
    const { resolve } = await import("node:path");
    // The state a run killed after its first checkpoint leaves: those records are in the store.
    await store.ensureCollection("r", { dims: 8, distance: "Dot", metadata: {} });
    await store.upsert(
      "r",
      expected.slice(0, nextIndex).map((e) => ({ id: e.id, vector: e.vector, payload: e.payload })),
    );
    const identity = await sourceIdentity(source);
    const path = checkpointPath(join(dir, "state"), resolve(source), store.location, "r");
    await writeCheckpoint(path, {
      version: 1,
      source: resolve(source),
      sourceSize: identity.size,
      sourceMtimeMs: identity.mtimeMs,
      store: store.location,
      collection: "r",
      nextIndex,
      counts: {
        read: nextIndex,
        written: nextIndex,
        failed: 0,
        duplicates: 0,
        verified: nextIndex,
        integrityFailures: 0,
      },
      backupFile: null,
      createdCollection: true,
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      errorSamples: [],
      errorCodes: {},
    });
    return path;
  }

  it("--resume skips what the checkpoint covers and completes; totals include the earlier run", async () => {
    const path = await interruptedAt(fixture("legacy.jsonl"), 10);
    await expect(migrate({ ...base(), source: fixture("legacy.jsonl"), collection: "r" })).rejects.toThrow(
      /--resume/,
    );
    const report = await migrate({
      ...base(),
      source: fixture("legacy.jsonl"),
      collection: "r",
      resume: true,
    });
    expect(report.ok).toBe(true);
    expect(report.resumedFromIndex).toBe(10);
    expect(report.counts).toMatchObject({ skipped: 10, read: 24, written: 24, verified: 24 });
    expect(await store.count("r")).toBe(24);
    expect(existsSync(path)).toBe(false);
  });

  it("refuses to resume when the source changed, and --restart starts over", async () => {
    const copy = join(dir, "copy.jsonl");
    await writeFile(copy, readFileSync(fixture("legacy.jsonl")));
    await interruptedAt(copy, 5);
    await writeFile(copy, `${readFileSync(fixture("legacy.jsonl"), "utf8")}\n`);
    await expect(migrate({ ...base(), source: copy, collection: "r", resume: true })).rejects.toThrow(
      /changed/,
    );
    const report = await migrate({ ...base(), source: copy, collection: "r", restart: true });
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ skipped: 0, read: 24, written: 24 });
  });
});
