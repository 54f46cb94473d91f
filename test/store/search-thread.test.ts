/**
 * The embedded store's search thread (option `searchThread`): the same answers as searching
 * on the calling thread, for the HNSW graph (with and without a filter), filtered lists and
 * full scans; writes that land while the thread searches are never mixed into an answer.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/embedding/model-files.js";
import type { Filter, ScoredPoint } from "../../src/store/contract.js";
import { EmbeddedStore } from "../../src/store/embedded/store.js";
import { runScript } from "../helpers/script.js";
import { seededVectors } from "./contract.suite.js";

const DIMS = 24;
const N = 3000;
const vectors = seededVectors(N + 200, DIMS, 7);
const payloadOf = (i: number) => ({ bucket: i % 10, half: i < N / 2 });

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "planvec-search-thread-"));
  dirs.push(d);
  return d;
}

async function filled(searchThread: boolean, dir: string, options: { hnswThreshold: number }) {
  const store = await EmbeddedStore.open(dir, {
    searchThread,
    hnswThreshold: options.hnswThreshold,
    exactFilterLimit: 1000,
    buildDelayMs: 0,
  });
  if ((await store.listCollections()).length === 0) {
    await store.ensureCollection("c", { dims: DIMS, distance: "Cosine" });
    await store.upsert(
      "c",
      vectors.slice(0, N).map((v, i) => ({ id: i, vector: v, payload: payloadOf(i) })),
    );
  }
  await store.waitForIndexing();
  return store;
}

const simplify = (hits: ScoredPoint[]) => hits.map((h) => [h.id, h.score]);

describe("embedded store with a search thread", () => {
  let threaded: EmbeddedStore;
  let here: EmbeddedStore;
  let scanThreaded: EmbeddedStore;
  let scanHere: EmbeddedStore;
  beforeAll(async () => {
    const indexed = await tempDir();
    threaded = await filled(true, indexed, { hnswThreshold: 500 });
    here = await EmbeddedStore.open(indexed, {
      searchThread: false,
      hnswThreshold: 500,
      exactFilterLimit: 1000,
    });
    const scanned = await tempDir();
    scanThreaded = await filled(true, scanned, { hnswThreshold: 1_000_000 });
    scanHere = await EmbeddedStore.open(scanned, { searchThread: false, hnswThreshold: 1_000_000 });
  });
  afterAll(async () => {
    for (const store of [threaded, here, scanThreaded, scanHere]) await store.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("starts the thread only when asked", () => {
    expect(threaded.searchesOffThread).toBe(true);
    expect(here.searchesOffThread).toBe(false);
  });

  it("answers exactly as the calling thread does: graph, graph with a filter, filtered list, full scan", async () => {
    // bucket < 5 keeps 1,500 points (> exactFilterLimit: filtered graph traversal); bucket = 3
    // keeps 300 (exact list, below the thread's minimum: stays here); half keeps 1,500.
    const filters: Array<Filter | undefined> = [
      undefined,
      { must: [{ key: "bucket", range: { lt: 5 } }] },
      { must: [{ key: "half", match: { value: true } }] },
      { must: [{ key: "bucket", match: { value: 3 } }] },
    ];
    const before = threaded.searchThreadCounts.answered;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: vectors.length - 1 }),
        fc.constantFrom(...filters),
        fc.integer({ min: 1, max: 40 }),
        async (qi, filter, limit) => {
          const q = vectors[qi] as number[];
          const options = { limit, ...(filter ? { filter } : {}) };
          expect(simplify(await threaded.search("c", q, options))).toEqual(
            simplify(await here.search("c", q, options)),
          );
          expect(simplify(await scanThreaded.search("c", q, options))).toEqual(
            simplify(await scanHere.search("c", q, options)),
          );
        },
      ),
      { numRuns: 60, seed: 42 },
    );
    // Most of these went through the thread (the bucket = 3 ones did not).
    expect(threaded.searchThreadCounts.answered - before).toBeGreaterThan(30);
  });

  it("finishes a graph search that comes up short with the exact scan, not a second walk", async () => {
    const dir = await tempDir();
    const store = await filled(true, dir, { hnswThreshold: 500 });
    try {
      // 200 new points too few for a rebuild: the graph holds 1,500 of the 1,700 the filter
      // keeps, so asking for 1,600 leaves it short and the answer must come from the scan.
      await store.upsert(
        "c",
        vectors
          .slice(N, N + 200)
          .map((v, i) => ({ id: N + i, vector: v, payload: { bucket: 0, half: true } })),
      );
      const q = vectors[7] as number[];
      const filter = { must: [{ key: "half", match: { value: true } }] };
      const before = { ...store.searchThreadCounts };
      const hits = await store.search("c", q, { limit: 1600, filter });
      expect(store.searchThreadCounts.redone).toBe(before.redone + 1);
      expect(store.searchThreadCounts.answered).toBe(before.answered);
      expect(hits).toHaveLength(1600);
      expect(simplify(hits)).toEqual(
        simplify(await store.search("c", q, { limit: 1600, filter, exact: true })),
      );
    } finally {
      await store.close();
    }
  });

  it("answers many concurrent searches, each with its own query", async () => {
    const queries = Array.from({ length: 50 }, (_, i) => vectors[(i * 37) % vectors.length] as number[]);
    const together = await Promise.all(queries.map((q) => threaded.search("c", q, { limit: 5 })));
    for (const [i, q] of queries.entries()) {
      expect(simplify(together[i] ?? [])).toEqual(simplify(await here.search("c", q, { limit: 5 })));
    }
  });

  it("never mixes a write that lands during the search into its answer", async () => {
    const dir = await tempDir();
    const store = await filled(true, dir, { hnswThreshold: 500 });
    try {
      const q = vectors[N + 1] as number[];
      const redone = store.searchThreadCounts.redone;
      // The search is on the thread when the upsert applies: the thread's answer predates the
      // write, so it is discarded and the search runs again on the state with the new point.
      const searching = store.search("c", q, { limit: 3 });
      const writing = store.upsert("c", [{ id: 999_999, vector: q, payload: { bucket: 0, half: true } }]);
      const [hits] = await Promise.all([searching, writing]);
      expect(hits[0]?.id).toBe(999_999);
      expect(store.searchThreadCounts.redone).toBe(redone + 1);
      // And without a concurrent write, the thread's answer stands and sees the new point.
      const answered = store.searchThreadCounts.answered;
      expect((await store.search("c", q, { limit: 1 }))[0]?.id).toBe(999_999);
      expect(store.searchThreadCounts.answered).toBe(answered + 1);
    } finally {
      await store.close();
    }
  });

  it("plans again when a write lands during the search: a payload change moves a point into the filter", async () => {
    const dir = await tempDir();
    const store = await filled(true, dir, { hnswThreshold: 500 });
    try {
      const q = vectors[7] as number[]; // point 7: bucket 7, outside the filter below
      const filter: Filter = { must: [{ key: "bucket", range: { lt: 5 } }] }; // 1,500 points: graph
      expect((await store.search("c", q, { limit: 1, filter }))[0]?.id).not.toBe(7);
      const searching = store.search("c", q, { limit: 1, filter });
      const writing = store.setPayload("c", { bucket: 0 }, [7]);
      const [hits] = await Promise.all([searching, writing]);
      expect(hits[0]).toMatchObject({ id: 7, payload: { bucket: 0 } });
    } finally {
      await store.close();
    }
  });

  it("rejects a search cut by close() with the store's closed error", async () => {
    const dir = await tempDir();
    const store = await filled(true, dir, { hnswThreshold: 500 });
    const searching = expect(store.search("c", vectors[1] as number[], { limit: 3 })).rejects.toMatchObject({
      code: "closed",
    });
    await store.close();
    await searching;
  });

  it("does not keep a process alive once its searches are done, even without close()", async () => {
    const dir = await tempDir();
    const seeded = await filled(false, dir, { hnswThreshold: 500 });
    await seeded.close();
    const storeUrl = pathToFileURL(join(packageRoot(), "src", "store", "embedded", "store.ts")).href;
    const run = runScript(
      dir,
      "forgets-close.mts",
      `import { EmbeddedStore } from ${JSON.stringify(storeUrl)};
const store = await EmbeddedStore.open(${JSON.stringify(dir)}, { searchThread: true, hnswThreshold: 500 });
const hits = await store.search("c", ${JSON.stringify(vectors[2])}, { limit: 2 });
console.log(store.searchesOffThread, store.searchThreadCounts.answered, hits[0].id);
`,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("true 1 2");
  }, 90_000);
});
