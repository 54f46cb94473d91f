/**
 * Embedded-store behaviour beyond the shared contract: the HNSW path (background build,
 * in-traversal filters, exact tail merge), index persistence and rebuild, and changes made
 * by another connection.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import type { Filter } from "../../src/store/contract.js";
import { EmbeddedStore } from "../../src/store/embedded/store.js";
import { runScript } from "../helpers/script.js";
import { seededVectors } from "./contract.suite.js";
import { cosine, matches } from "./oracle.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "planvec-embedded-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const DIMS = 16;
const N = 1500;
const vectors = seededVectors(N + 100, DIMS, 21);
const payloadOf = (i: number) => ({ group: i % 2 === 0 ? "even" : "odd", bucket: i % 10 });

function exactTop(q: number[], k: number, filter?: Filter): number[] {
  return vectors
    .slice(0, N)
    .map((v, i) => ({ i, s: cosine(q, v) }))
    .filter(({ i }) => matches(filter, i, payloadOf(i)))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.i);
}

describe("embedded store: HNSW path", () => {
  it("builds the index in the background, then serves filtered and unfiltered search through it", async () => {
    const dir = await tempDir();
    const store = await EmbeddedStore.open(dir, {
      hnswThreshold: 500,
      exactFilterLimit: 50,
      buildDelayMs: 0,
    });
    try {
      await store.ensureCollection("c", { dims: DIMS, distance: "Cosine" });
      await store.upsert(
        "c",
        vectors.slice(0, N).map((v, i) => ({ id: i, vector: v, payload: payloadOf(i) })),
      );
      // Searchable at once (exact) before the index exists.
      const q0 = vectors[5] as number[];
      expect((await store.search("c", q0, { limit: 1 }))[0]?.id).toBe(5);
      await store.waitForIndexing();
      const info = await store.collectionInfo("c");
      expect(info.indexedCount).toBe(N);
      expect(info.status).toBe("green");
      expect(readdirSync(join(dir, "index")).filter((f) => f.endsWith(".hnsw"))).toHaveLength(1);

      const queries = seededVectors(30, DIMS, 99);
      const filter: Filter = { must: [{ key: "group", match: { value: "even" } }] };
      let hits = 0;
      let hitsFiltered = 0;
      for (const q of queries) {
        const truth = new Set(exactTop(q, 10));
        for (const h of await store.search("c", q, { limit: 10, withPayload: false }))
          if (truth.has(h.id as number)) hits++;
        const truthF = new Set(exactTop(q, 10, filter));
        const res = await store.search("c", q, { limit: 10, filter });
        for (const h of res) {
          expect(h.payload?.group).toBe("even");
          if (truthF.has(h.id as number)) hitsFiltered++;
        }
      }
      expect(hits / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
      expect(hitsFiltered / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);

      // New points are in the unindexed tail and found at once; deleted ones never come back.
      await store.upsert(
        "c",
        vectors.slice(N).map((v, i) => ({ id: N + i, vector: v, payload: payloadOf(N + i) })),
      );
      expect((await store.search("c", vectors[N + 3] as number[], { limit: 1 }))[0]?.id).toBe(N + 3);
      await store.delete("c", [7]);
      const after = await store.search("c", vectors[7] as number[], { limit: 5 });
      expect(after.map((h) => h.id)).not.toContain(7);
      // An updated vector is served from the tail, not the stale index entry.
      await store.upsert("c", [{ id: 9, vector: vectors[N + 50] as number[], payload: payloadOf(9) }]);
      const moved = await store.search("c", vectors[N + 50] as number[], { limit: 2 });
      expect(moved.map((h) => h.id).sort()).toEqual([9, N + 50].sort());
      expect((await store.search("c", vectors[9] as number[], { limit: 1 }))[0]?.id).not.toBe(9);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("reloads the persisted index on open and rebuilds it when the file is missing", async () => {
    const dir = await tempDir();
    const first = await EmbeddedStore.open(dir, { hnswThreshold: 500, buildDelayMs: 0 });
    await first.ensureCollection("c", { dims: DIMS, distance: "Cosine" });
    await first.upsert(
      "c",
      vectors.slice(0, N).map((v, i) => ({ id: i, vector: v, payload: payloadOf(i) })),
    );
    await first.waitForIndexing();
    await first.close();

    const second = await EmbeddedStore.open(dir, { backgroundIndexing: false });
    expect((await second.collectionInfo("c")).indexedCount).toBe(N);
    expect((await second.search("c", vectors[42] as number[], { limit: 1 }))[0]?.id).toBe(42);
    await second.close();

    for (const f of readdirSync(join(dir, "index"))) rmSync(join(dir, "index", f));
    const third = await EmbeddedStore.open(dir, { hnswThreshold: 500, buildDelayMs: 0 });
    try {
      expect((await third.collectionInfo("c")).indexedCount).toBe(0);
      expect((await third.search("c", vectors[42] as number[], { limit: 1 }))[0]?.id).toBe(42);
      await third.waitForIndexing();
      expect((await third.collectionInfo("c")).indexedCount).toBe(N);
    } finally {
      await third.close();
    }
  }, 60_000);
});

describe("embedded store: closing during a background build", () => {
  // hnswlib's readIndex/writeIndex run on libuv's pool; a worker torn down while one is in
  // flight aborted the whole process (FATAL ERROR ... SaveHierarchicalNSWIndexWorker::OnOK).
  // close() now asks the build to stop and waits for it, whatever stage it is in.
  it("exits cleanly when closed while the index file is being written, or as the build starts", async () => {
    const dir = await tempDir();
    const storeUrl = pathToFileURL(join(process.cwd(), "src/store/embedded/store.ts")).href;
    const run = runScript(
      dir,
      "close-during-build.mts",
      `import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EmbeddedStore } from ${JSON.stringify(storeUrl)};
const dims = 384;
let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
const points = Array.from({ length: 12000 }, (_, id) => ({ id, vector: Array.from({ length: dims }, random) }));
const outcomes = [];
for (const moment of ["writing", "starting", "writing", "starting", "writing"]) {
  const dir = join(${JSON.stringify(dir)}, "store-" + outcomes.length);
  const store = await EmbeddedStore.open(dir, { hnswThreshold: 1000, buildDelayMs: 0 });
  await store.ensureCollection("c", { dims, distance: "Cosine" });
  await store.upsert("c", points);
  const index = join(dir, "index");
  if (moment === "writing") {
    // writeIndex creates its file first, then fills it: close as soon as the file appears.
    const started = Date.now();
    while (!(existsSync(index) && readdirSync(index).some((f) => f.endsWith(".hnsw"))) && Date.now() - started < 60000) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await store.close();
  outcomes.push(moment);
}
console.log(outcomes.length);
`,
    );
    expect(run.stderr).not.toMatch(/FATAL|Error/);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("5");
  }, 120_000);
});

describe("embedded store: storage", () => {
  it("uses WAL and sees commits made by another connection", async () => {
    const dir = await tempDir();
    const a = await EmbeddedStore.open(dir);
    const b = await EmbeddedStore.open(dir);
    try {
      await a.ensureCollection("shared", { dims: 2, distance: "Dot" });
      await a.upsert("shared", [{ id: 1, vector: [1, 0], payload: { x: 1 } }]);
      expect(await b.listCollections()).toEqual(["shared"]);
      expect(await b.count("shared")).toBe(1);
      await b.upsert("shared", [{ id: 2, vector: [0, 1] }]);
      expect(await a.count("shared")).toBe(2);
      expect((await a.search("shared", [0, 1], { limit: 1 }))[0]?.id).toBe(2);
      const raw = new Database(join(dir, "store.db"));
      expect(raw.prepare("PRAGMA journal_mode").raw(true).get()).toEqual(["wal"]);
      raw.close();
    } finally {
      await a.close();
      await b.close();
    }
    expect(existsSync(join(dir, "store.db"))).toBe(true);
  });

  it("refuses a value float32 cannot hold (it would be stored as Infinity) and writes nothing of the batch", async () => {
    const store = await EmbeddedStore.open(await tempDir());
    try {
      await store.ensureCollection("c", { dims: 3, distance: "Dot" });
      const upsert = store.upsert("c", [
        { id: 1, vector: [1, 2, 3] },
        { id: 2, vector: [1, 1e39, 3] },
      ]);
      await expect(upsert).rejects.toMatchObject({
        code: "invalid_argument",
        message: expect.stringMatching(/point 2: vector\[1\]/),
      });
      for (const bad of [
        [1, null, 3],
        [1, "2", 3],
      ]) {
        await expect(
          store.upsert("c", [{ id: 3, vector: bad as unknown as number[] }]),
        ).rejects.toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/vector\[1\]/) });
      }
      expect(await store.count("c")).toBe(0);
      // A query vector gets the same checks: null, strings and NaN are refused, not read as 0.
      for (const bad of [
        [1, null, 3],
        [1, "2", 3],
        [1, Number.NaN, 3],
      ]) {
        await expect(store.search("c", bad as unknown as number[])).rejects.toMatchObject({
          code: "invalid_argument",
          message: expect.stringMatching(/query vector\[1\]/),
        });
      }
    } finally {
      await store.close();
    }
  });

  it("keeps its own frozen copy of payloads: neither the caller's object nor a result can change it", async () => {
    const store = await EmbeddedStore.open(await tempDir());
    try {
      await store.ensureCollection("c", { dims: 2, distance: "Dot" });
      const payload = { tags: ["a"], meta: { n: 1 } };
      await store.upsert("c", [{ id: 1, vector: [1, 0], payload }]);
      payload.tags.push("changed by the caller");
      payload.meta.n = 2;
      const [got] = await store.get("c", [1]);
      expect(got?.payload).toEqual({ tags: ["a"], meta: { n: 1 } });
      // Results share the stored object (no copy per hit), so it is read-only.
      expect(() => {
        (got?.payload?.meta as { n: number }).n = 3;
      }).toThrow(TypeError);
      const [hit] = await store.search("c", [1, 0], { limit: 1 });
      expect(hit?.payload).toEqual({ tags: ["a"], meta: { n: 1 } });
      expect(await store.count("c", { must: [{ key: "meta.n", match: { value: 1 } }] })).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("refuses to be used after close", async () => {
    const store = await EmbeddedStore.open(await tempDir());
    await store.close();
    await expect(store.listCollections()).rejects.toMatchObject({ code: "closed" });
  });
});
