/**
 * The vector-store contract, as one reusable suite. Every store runs it:
 * `describeStoreContract("embedded", () => EmbeddedStore.open(tmp))`, the Qdrant store
 * against a real Qdrant (QDRANT_URL) and against planvec's Qdrant-compatible server.
 *
 * Each test works in its own collection with a random name, so the suite can run against a
 * shared server; collections are dropped afterwards.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Filter, Payload, Point, PointId, VectorStore } from "../../src/store/contract.js";
import { StoreError, uuidV5ForKey } from "../../src/store/contract.js";
import { exportCollectionToFile, importFileToStore } from "../../src/store/portable.js";
import { cosine, matches } from "./oracle.js";

export interface ContractOptions {
  /** fast-check runs for the property tests (default 40). */
  propertyRuns?: number;
}

const U = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";

/** Points with payloads chosen to exercise every filter rule (see the expectations table). */
export const FILTER_FIXTURE: Array<{ id: PointId; payload: Payload }> = [
  {
    id: 1,
    payload: {
      city: "Paris",
      n: 1,
      tags: ["a", "b"],
      meta: { owner: "ann", level: 3 },
      items: [
        { k: "x", v: 1 },
        { k: "y", v: 2 },
      ],
    },
  },
  {
    id: 2,
    payload: { city: "Lyon", n: 5, tags: ["b"], meta: { owner: "bob", level: 7 }, items: [{ k: "x", v: 9 }] },
  },
  { id: 3, payload: { city: "Paris", n: 10, tags: [], meta: { owner: null }, note: null } },
  { id: 4, payload: { city: "Nice", n: 2.5, tags: ["c"], note: "hello world" } },
  { id: 5, payload: {} },
  { id: 6, payload: { city: ["Paris", "Lyon"], n: [3, 20], flag: true } },
  { id: U, payload: { city: "Lyon", flag: false, n: -1 } },
];

/** Filter → ids it must select, worked out by hand from Qdrant's documented semantics. */
export const FILTER_EXPECTATIONS: Array<[string, Filter, PointId[]]> = [
  ["match value", { must: [{ key: "city", match: { value: "Paris" } }] }, [1, 3, 6]],
  ["match any", { must: [{ key: "city", match: { any: ["Lyon", "Nice"] } }] }, [2, 4, 6, U]],
  ["match except", { must: [{ key: "city", match: { except: ["Paris"] } }] }, [2, 4, 6, U]],
  ["range gte/lt (any array element)", { must: [{ key: "n", range: { gte: 3, lt: 10 } }] }, [2, 6]],
  ["range gt on floats", { must: [{ key: "n", range: { gt: 2 } }] }, [2, 3, 4, 6]],
  ["array element match", { must: [{ key: "tags", match: { value: "b" } }] }, [1, 2]],
  ["is_empty: missing, null or []", { must: [{ is_empty: { key: "tags" } }] }, [3, 5, 6, U]],
  ["is_empty on null and missing", { must: [{ is_empty: { key: "note" } }] }, [1, 2, 3, 5, 6, U]],
  ["is_null", { must: [{ is_null: { key: "note" } }] }, [3]],
  ["nested key by dot path", { must: [{ key: "meta.owner", match: { value: "ann" } }] }, [1]],
  ["is_null on dot path", { must: [{ is_null: { key: "meta.owner" } }] }, [3]],
  ["has_id with integer and UUID", { must: [{ has_id: [2, U.toUpperCase()] }] }, [2, U]],
  ["array of objects path", { must: [{ key: "items[].k", match: { value: "y" } }] }, [1]],
  [
    "independent conditions on array elements",
    {
      must: [
        { key: "items[].k", match: { value: "x" } },
        { key: "items[].v", range: { gte: 2 } },
      ],
    },
    [1, 2],
  ],
  [
    "nested: one element satisfies all",
    {
      must: [
        {
          nested: {
            key: "items",
            filter: {
              must: [
                { key: "k", match: { value: "x" } },
                { key: "v", range: { gte: 2 } },
              ],
            },
          },
        },
      ],
    },
    [2],
  ],
  [
    "should",
    {
      should: [
        { key: "city", match: { value: "Nice" } },
        { key: "flag", match: { value: true } },
      ],
    },
    [4, 6],
  ],
  [
    "must_not (array with a match is excluded)",
    { must_not: [{ key: "city", match: { value: "Paris" } }] },
    [2, 4, 5, U],
  ],
  [
    "min_should",
    {
      min_should: {
        conditions: [
          { key: "city", match: { value: "Paris" } },
          { key: "n", range: { gte: 5 } },
          { key: "tags", match: { value: "b" } },
        ],
        min_count: 2,
      },
    },
    [1, 2, 3, 6],
  ],
  ["boolean false", { must: [{ key: "flag", match: { value: false } }] }, [U]],
  ["integer match", { must: [{ key: "n", match: { value: 1 } }] }, [1]],
  ["no cross-type equality", { must: [{ key: "n", match: { value: "1" } }] }, []],
  [
    "filter as a condition",
    {
      must: [
        {
          should: [
            { key: "city", match: { value: "Nice" } },
            { key: "n", range: { lt: 0 } },
          ],
        },
      ],
    },
    [4, U],
  ],
  ["single-condition shorthand", { must: { key: "city", match: { value: "Lyon" } } }, [2, 6, U]],
  ["empty filter", {}, [1, 2, 3, 4, 5, 6, U]],
];

/** Deterministic pseudo-random vectors. */
export function seededVectors(count: number, dims: number, seed = 1): number[][] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 0xffffffff) * 2 - 1;
  };
  return Array.from({ length: count }, () => Array.from({ length: dims }, next));
}

function sortIds(ids: PointId[]): PointId[] {
  return [...ids].sort((a, b) =>
    typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === "number" ? -1 : 1,
  );
}

async function expectStoreError(p: Promise<unknown>, code: string): Promise<StoreError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected StoreError ${code}`).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

export function describeStoreContract(
  name: string,
  makeStore: () => Promise<VectorStore>,
  options: ContractOptions = {},
): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    const created: string[] = [];
    const fresh = () => {
      const n = `contract_${randomUUID().slice(0, 8)}`;
      created.push(n);
      return n;
    };

    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      if (!store) return;
      for (const c of created) await store.dropCollection(c).catch(() => undefined);
      await store.close();
    });

    async function loadFixture(collection: string): Promise<void> {
      await store.ensureCollection(collection, { dims: 4, distance: "Cosine" });
      const vectors = seededVectors(FILTER_FIXTURE.length, 4, 7);
      await store.upsert(
        collection,
        FILTER_FIXTURE.map((p, i) => ({ id: p.id, vector: vectors[i] as number[], payload: p.payload })),
      );
    }

    it("creates, describes, lists and drops collections", async () => {
      const c = fresh();
      const info = await store.ensureCollection(c, { dims: 3, distance: "Dot", metadata: { modelId: "m1" } });
      expect(info).toMatchObject({ name: c, dims: 3, distance: "Dot", pointCount: 0 });
      const again = await store.ensureCollection(c, { dims: 3, distance: "Dot" });
      expect(again.dims).toBe(3);
      expect((await store.collectionInfo(c)).metadata).toMatchObject({ modelId: "m1" });
      expect(await store.listCollections()).toContain(c);
      await expectStoreError(store.ensureCollection(c, { dims: 4, distance: "Dot" }), "dimension_mismatch");
      await expectStoreError(store.ensureCollection(c, { dims: 3, distance: "Cosine" }), "conflict");
      expect(await store.dropCollection(c)).toBe(true);
      expect(await store.dropCollection(c)).toBe(false);
      expect(await store.listCollections()).not.toContain(c);
      await expectStoreError(store.collectionInfo(c), "not_found");
      await expectStoreError(store.upsert(c, [{ id: 1, vector: [1, 2, 3] }]), "not_found");
      await expectStoreError(store.search(c, [1, 2, 3]), "not_found");
      await expectStoreError(store.count(c), "not_found");
    });

    it("upserts, replaces and gets points with integer and UUID ids", async () => {
      const c = fresh();
      await store.ensureCollection(c, { dims: 3, distance: "Cosine" });
      const u = uuidV5ForKey(`doc-${c}`);
      await store.upsert(c, [
        { id: 7, vector: [3, 0, 4], payload: { a: 1 } },
        { id: u.toUpperCase(), vector: [0, 1, 0], payload: { a: 2, nested: { b: [1, 2] } } },
      ]);
      expect((await store.collectionInfo(c)).pointCount).toBe(2);
      const got = await store.get(c, [u, 999, 7], { withVector: true });
      expect(got.map((p) => p.id)).toEqual([u, 7]);
      expect(got[0]?.payload).toEqual({ a: 2, nested: { b: [1, 2] } });
      // Cosine collections store unit vectors, like Qdrant.
      expect(got[1]?.vector?.map((x) => Number(x.toFixed(5)))).toEqual([0.6, 0, 0.8]);
      await store.upsert(c, [{ id: 7, vector: [1, 0, 0], payload: { a: 3 } }]);
      const [seven] = await store.get(c, [7], { withPayload: true });
      expect(seven?.payload).toEqual({ a: 3 });
      expect((await store.collectionInfo(c)).pointCount).toBe(2);
      const noPayload = await store.get(c, [7], { withPayload: false });
      expect(noPayload[0]?.payload).toBeUndefined();
    });

    it("rejects bad ids and wrong dimensions without writing the batch", async () => {
      const c = fresh();
      await store.ensureCollection(c, { dims: 3, distance: "Cosine" });
      await expectStoreError(store.upsert(c, [{ id: -1, vector: [1, 2, 3] }]), "invalid_id");
      await expectStoreError(store.upsert(c, [{ id: "not-a-uuid", vector: [1, 2, 3] }]), "invalid_id");
      await expectStoreError(
        store.upsert(c, [
          { id: 1, vector: [1, 2, 3] },
          { id: 2, vector: [1, 2] },
        ]),
        "dimension_mismatch",
      );
      expect(await store.count(c)).toBe(0);
      await expectStoreError(store.search(c, [1, 2]), "dimension_mismatch");
    });

    it("searches by cosine similarity, best first, with limit, offset and threshold", async () => {
      const c = fresh();
      await store.ensureCollection(c, { dims: 8, distance: "Cosine" });
      const vectors = seededVectors(200, 8, 3);
      await store.upsert(
        c,
        vectors.map((v, i) => ({ id: i, vector: v, payload: { i } })),
        { batchSize: 64 },
      );
      const q = seededVectors(1, 8, 99)[0] as number[];
      const truth = vectors
        .map((v, i) => ({ id: i, score: cosine(q, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 15);
      const hits = await store.search(c, q, { limit: 10 });
      expect(hits.map((h) => h.id)).toEqual(truth.slice(0, 10).map((t) => t.id));
      hits.forEach((h, i) => {
        expect(h.score).toBeCloseTo(truth[i]?.score as number, 4);
      });
      expect(hits[0]?.payload).toEqual({ i: truth[0]?.id });
      const page2 = await store.search(c, q, { limit: 5, offset: 10, withPayload: false });
      expect(page2.map((h) => h.id)).toEqual(truth.slice(10, 15).map((t) => t.id));
      expect(page2[0]?.payload).toBeUndefined();
      const threshold = truth[4]?.score as number;
      const above = await store.search(c, q, { limit: 50, scoreThreshold: threshold - 1e-6 });
      expect(above.map((h) => h.id)).toEqual(truth.slice(0, 5).map((t) => t.id));
      const withVec = await store.search(c, q, { limit: 1, withVector: true });
      expect(withVec[0]?.vector).toHaveLength(8);
    });

    it("scores Dot as inner product and Euclid as distance (lower is closer)", async () => {
      const dot = fresh();
      await store.ensureCollection(dot, { dims: 2, distance: "Dot" });
      await store.upsert(dot, [
        { id: 1, vector: [1, 0] },
        { id: 2, vector: [3, 3] },
        { id: 3, vector: [-1, 0] },
      ]);
      const d = await store.search(dot, [1, 1], { limit: 3 });
      expect(d.map((h) => h.id)).toEqual([2, 1, 3]);
      expect(d[0]?.score).toBeCloseTo(6, 5);
      const euc = fresh();
      await store.ensureCollection(euc, { dims: 2, distance: "Euclid" });
      await store.upsert(euc, [
        { id: 1, vector: [0, 0] },
        { id: 2, vector: [3, 4] },
        { id: 3, vector: [1, 1] },
      ]);
      const e = await store.search(euc, [0, 0], { limit: 3 });
      expect(e.map((h) => h.id)).toEqual([1, 3, 2]);
      expect(e[2]?.score).toBeCloseTo(5, 5);
      const near = await store.search(euc, [0, 0], { limit: 3, scoreThreshold: 2 });
      expect(near.map((h) => h.id)).toEqual([1, 3]);
    });

    describe("filters follow Qdrant semantics", () => {
      let c: string;
      beforeAll(async () => {
        c = fresh();
        await loadFixture(c);
      });
      for (const [label, filter, expected] of FILTER_EXPECTATIONS) {
        it(label, async () => {
          const oracle = FILTER_FIXTURE.filter((p) => matches(filter, p.id, p.payload)).map((p) => p.id);
          // The hand-written expectation and the brute-force oracle must agree first.
          expect(sortIds(oracle)).toEqual(sortIds(expected));
          expect(await store.count(c, filter)).toBe(expected.length);
          const page = await store.scroll(c, { filter, limit: 100, withPayload: false });
          expect(page.points.map((p) => p.id)).toEqual(sortIds(expected));
          const hits = await store.search(c, [1, 0, 0, 0], { filter, limit: 100, withPayload: false });
          expect(sortIds(hits.map((h) => h.id))).toEqual(sortIds(expected));
        });
      }
      it("rejects malformed filters with invalid_filter", async () => {
        const bad = [
          { must: [{ key: "city", match: { value: 1.5 } }] },
          { must: [{ key: "city" }] },
          { must: [{ key: "n", range: { gte: "3" } }] },
          { wrong: [] },
          { min_should: { conditions: [], min_count: 0 } },
        ] as unknown as Filter[];
        for (const f of bad) await expectStoreError(store.count(c, f), "invalid_filter");
        await expectStoreError(store.search(c, [1, 0, 0, 0], { filter: bad[0] as Filter }), "invalid_filter");
      });
    });

    it("scrolls every point once, in id order (integers, then UUIDs)", async () => {
      const c = fresh();
      await loadFixture(c);
      const seen: PointId[] = [];
      let cursor: PointId | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const page = await store.scroll(c, { limit: 3, cursor, withPayload: false });
        seen.push(...page.points.map((p) => p.id));
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, U]);
    });

    it("deletes by ids and by filter", async () => {
      const c = fresh();
      await loadFixture(c);
      await store.delete(c, [1, 12345]);
      expect(await store.count(c)).toBe(6);
      await store.delete(c, { filter: { must: [{ key: "city", match: { value: "Lyon" } }] } });
      expect(sortIds((await store.scroll(c, { limit: 10 })).points.map((p) => p.id))).toEqual([3, 4, 5]);
      const hits = await store.search(c, [1, 1, 1, 1], { limit: 10 });
      expect(sortIds(hits.map((h) => h.id))).toEqual([3, 4, 5]);
    });

    it("sets, overwrites and deletes payload keys, and filters see the change", async () => {
      const c = fresh();
      await loadFixture(c);
      await store.setPayload(c, { city: "Rome", extra: 1 }, [1]);
      const [one] = await store.get(c, [1]);
      expect(one?.payload).toMatchObject({ city: "Rome", extra: 1, n: 1, tags: ["a", "b"] });
      expect(await store.count(c, { must: [{ key: "city", match: { value: "Rome" } }] })).toBe(1);
      await store.setPayload(
        c,
        { level: 9 },
        { filter: { must: [{ key: "meta.owner", match: { value: "bob" } }] } },
        { key: "meta" },
      );
      expect((await store.get(c, [2]))[0]?.payload).toMatchObject({ meta: { owner: "bob", level: 9 } });
      await store.overwritePayload(c, { only: true }, [3]);
      expect((await store.get(c, [3]))[0]?.payload).toEqual({ only: true });
      await store.deletePayloadKeys(c, ["extra", "meta.level"], [1]);
      const after = (await store.get(c, [1]))[0]?.payload;
      expect(after).not.toHaveProperty("extra");
      expect(after?.meta).toEqual({ owner: "ann" });
      const picked = await store.get(c, [2], { withPayload: ["city", "meta.owner"] });
      expect(picked[0]?.payload).toEqual({ city: "Lyon", meta: { owner: "bob" } });
    });

    it("accepts async iterables in batches", async () => {
      const c = fresh();
      await store.ensureCollection(c, { dims: 4, distance: "Cosine" });
      const vectors = seededVectors(250, 4, 11);
      async function* gen(): AsyncIterable<Point> {
        for (let i = 0; i < vectors.length; i++)
          yield { id: i, vector: vectors[i] as number[], payload: { i } };
      }
      const r = await store.upsert(c, gen(), { batchSize: 100 });
      expect(r.upserted).toBe(250);
      expect(await store.count(c)).toBe(250);
    });

    it("exports to the portable format and imports it back identically", async () => {
      const c = fresh();
      await loadFixture(c);
      const dir = await mkdtemp(join(tmpdir(), "planvec-portable-"));
      try {
        const file = join(dir, "c.jsonl.gz");
        const exported = await exportCollectionToFile(store, c, file, { modelId: "test-model" });
        expect(exported.points).toBe(FILTER_FIXTURE.length);
        expect(exported.header).toMatchObject({ dims: 4, distance: "Cosine", modelId: "test-model" });
        const target = fresh();
        const imported = await importFileToStore(store, file, { collection: target });
        expect(imported.points).toBe(FILTER_FIXTURE.length);
        const a = await store.scroll(c, { limit: 100, withVector: true });
        const b = await store.scroll(target, { limit: 100, withVector: true });
        expect(b.points.map((p) => [p.id, p.payload])).toEqual(a.points.map((p) => [p.id, p.payload]));
        b.points.forEach((p, i) => {
          p.vector?.forEach((x, j) => {
            expect(x).toBeCloseTo(a.points[i]?.vector?.[j] as number, 6);
          });
        });
        expect((await store.collectionInfo(target)).metadata).toMatchObject({ modelId: "test-model" });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("filtered count and search agree with brute force on random payloads (property)", async () => {
      const c = fresh();
      const dims = 6;
      await store.ensureCollection(c, { dims, distance: "Cosine" });
      const scalar = fc.oneof(
        fc.constantFrom("a", "b", "c"),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.constant(null),
      );
      const payloadArb = fc.record(
        {
          k: fc.oneof(scalar, fc.array(fc.constantFrom("a", "b", "c", 1, 2), { maxLength: 3 })),
          n: fc.oneof(
            fc.integer({ min: -5, max: 5 }),
            fc.double({ min: -5, max: 5, noNaN: true }),
            fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 3 }),
          ),
          o: fc.record({ x: scalar }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      );
      const points = fc.sample(payloadArb, { numRuns: 120, seed: 42 });
      const vectors = seededVectors(points.length, dims, 5);
      await store.upsert(
        c,
        points.map((payload, i) => ({ id: i, vector: vectors[i] as number[], payload: payload as Payload })),
      );
      const key = fc.constantFrom("k", "n", "o.x", "missing");
      const leaf = fc.oneof(
        fc.record({
          key,
          match: fc.record({
            value: fc.oneof(fc.constantFrom("a", "b"), fc.integer({ min: 0, max: 4 }), fc.boolean()),
          }),
        }),
        fc.record({
          key,
          match: fc.record({
            any: fc.uniqueArray(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 2 }),
          }),
        }),
        fc.record({
          key,
          match: fc.record({
            except: fc.uniqueArray(fc.constantFrom("a", "b"), { minLength: 1, maxLength: 2 }),
          }),
        }),
        fc.record({
          key,
          range: fc.record(
            { gte: fc.integer({ min: -5, max: 5 }), lt: fc.integer({ min: -5, max: 5 }) },
            { requiredKeys: [] },
          ),
        }),
        fc.record({ is_empty: fc.record({ key }) }),
        fc.record({ is_null: fc.record({ key }) }),
        fc.record({ has_id: fc.uniqueArray(fc.integer({ min: 0, max: 130 }), { maxLength: 5 }) }),
      );
      const filterArb: fc.Arbitrary<Filter> = fc.letrec((tie) => ({
        filter: fc.record(
          {
            must: fc.array(tie("cond"), { maxLength: 2 }),
            should: fc.array(tie("cond"), { maxLength: 2 }),
            must_not: fc.array(tie("cond"), { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        cond: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, leaf, leaf, tie("filter")),
      })).filter as fc.Arbitrary<Filter>;
      const q = seededVectors(1, dims, 77)[0] as number[];
      await fc.assert(
        fc.asyncProperty(filterArb, async (filter) => {
          const expected = points
            .map((p, i) => ({ id: i, p: p as Payload }))
            .filter(({ id, p }) => matches(filter, id, p))
            .map(({ id }) => id);
          expect(await store.count(c, filter)).toBe(expected.length);
          const hits = await store.search(c, q, { filter, limit: 5, withPayload: false });
          const truth = expected
            .map((id) => ({ id, s: cosine(q, vectors[id] as number[]) }))
            .sort((a, b) => b.s - a.s)
            .slice(0, 5)
            .map((t) => t.id);
          expect(hits.map((h) => h.id)).toEqual(truth);
        }),
        { numRuns: options.propertyRuns ?? 40, seed: 1234 },
      );
    });
  });
}
