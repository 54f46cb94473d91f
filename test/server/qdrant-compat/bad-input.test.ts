import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness.js";

let server: TestServer;
const stored = [
  { id: 1, vector: [1, 0, 0], payload: { a: 1 } },
  { id: 2, vector: [0, 1, 0], payload: { a: 2 } },
];

beforeAll(async () => {
  // A 1 MiB body limit keeps the oversized-body test cheap; the 50 MB case runs on its own server below.
  server = await startTestServer({ bodyLimitBytes: 1024 * 1024 });
  await server.call("PUT", "/collections/c", { vectors: { size: 3, distance: "Cosine" } });
  await server.call("PUT", "/collections/c/points?wait=true", { points: stored });
});
afterAll(async () => {
  await server?.close();
});

/** Nothing a refused request sent may have changed what is stored. */
async function expectUnchanged() {
  const all = await server.call("POST", "/collections/c/points/scroll", { with_vector: true, limit: 100 });
  expect(all.body.result.points.map((p: { id: number; payload: unknown }) => [p.id, p.payload])).toEqual(
    stored.map((p) => [p.id, p.payload]),
  );
}

function expectError(
  res: { status: number; body: { status: { error: string } } },
  status: number,
  pattern: RegExp,
) {
  expect(res.status).toBe(status);
  expect(res.body.status.error).toMatch(pattern);
}

describe("refused writes change nothing", () => {
  it("wrong vector size (in either upsert form) is a 400 naming expected and actual dims", async () => {
    expectError(
      await server.call("PUT", "/collections/c/points", {
        points: [
          { id: 3, vector: [1, 2, 3] },
          { id: 4, vector: [1, 2] },
        ],
      }),
      400,
      /Vector dimension error: expected dim: 3, got 2 \(points\[1\]\.vector\)/,
    );
    expectError(
      await server.call("PUT", "/collections/c/points", { batch: { ids: [3], vectors: [[1, 2, 3, 4]] } }),
      400,
      /expected dim: 3, got 4/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/query", { query: [1, 2] }),
      400,
      /expected dim: 3, got 2/,
    );
    await expectUnchanged();
  });

  it("NaN and Infinity are refused", async () => {
    // JSON has no NaN; Python's json.dumps writes it anyway.
    expectError(
      await server.call("PUT", "/collections/c/points", '{"points":[{"id":3,"vector":[NaN,1,2]}]}'),
      400,
      /Json deserialize error/,
    );
    // 1e999 is valid JSON and parses to Infinity.
    expectError(
      await server.call("PUT", "/collections/c/points", '{"points":[{"id":3,"vector":[1e999,1,2]}]}'),
      400,
      /points\[0\]\.vector\[0\].*finite/,
    );
    await expectUnchanged();
  });

  it("unknown fields are a 422 naming the field", async () => {
    expectError(
      await server.call("PUT", "/collections/c/points", { points: [{ id: 3, vectors: [1, 2, 3] }] }),
      422,
      /Validation error in JSON body: \[points\.0: unknown field `vectors`\]/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/query", { query: [1, 0, 0], limitt: 3 }),
      422,
      /unknown field `limitt`/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/scroll", {
        filter: { must: [{ key: "a", match: { valeu: 1 } }] },
      }),
      422,
      /Validation error in JSON body/,
    );
    expectError(
      await server.call("PUT", "/collections/d", { vectors: { size: 3, distance: "Cosine" }, vector: {} }),
      422,
      /unknown field `vector`/,
    );
    await expectUnchanged();
  });

  it("values out of the schema's range are a 422", async () => {
    expectError(
      await server.call("POST", "/collections/c/points/query", { query: [1, 0, 0], limit: 0 }),
      422,
      /limit/,
    );
    expectError(
      await server.call("PUT", "/collections/d", { vectors: { size: 0, distance: "Cosine" } }),
      422,
      /vectors/,
    );
    expectError(
      await server.call("PUT", "/collections/d", { vectors: { size: 3, distance: "Cosin" } }),
      422,
      /vectors/,
    );
  });

  it("bad ids are refused, in bodies and in paths", async () => {
    for (const id of [-1, 1.5, "not-a-uuid", "550e8400-e29b-41d4-a716-44665544000g", true]) {
      const res = await server.call("PUT", "/collections/c/points", { points: [{ id, vector: [1, 2, 3] }] });
      expect([400, 422]).toContain(res.status);
    }
    expectError(
      await server.call("PUT", "/collections/c/points", { points: [{ id: 2 ** 60, vector: [1, 2, 3] }] }),
      400,
      /not a valid point id/,
    );
    expectError(await server.call("GET", "/collections/c/points/abc"), 400, /not a valid point id/);
    expectError(await server.call("POST", "/collections/c/points", { ids: ["zzz"] }), 422, /ids/);
    expectError(
      await server.call("PUT", "/collections/c/points", { batch: { ids: [3, 4], vectors: [[1, 2, 3]] } }),
      400,
      /2 ids but 1 vectors/,
    );
    await expectUnchanged();
  });

  it("malformed JSON is a 400, a wrong content type a 415", async () => {
    expectError(
      await server.call("PUT", "/collections/c/points", '{"points": ['),
      400,
      /Json deserialize error/,
    );
    expectError(
      await server.call("PUT", "/collections/c/points", "points", { "content-type": "text/plain" }),
      415,
      /Content-Type: application\/json/,
    );
    for (const poisoned of [
      '{"__proto__": {"x": 1}}',
      '{"\\u005f_proto__": {"x": 1}}',
      '{"points": [{"id": 1, "vector": [1, 0, 0], "payload": {"constructor": {"prototype": {"x": 1}}}}]}',
    ]) {
      expectError(await server.call("PUT", "/collections/c/points", poisoned), 400, /Json deserialize/);
    }
    await expectUnchanged();
  });

  it("huge limits and offsets are answered, not a 5xx", async () => {
    for (const body of [
      { query: [1, 0, 0], limit: 1_000_000_000 },
      { query: [1, 0, 0], limit: 5, offset: Number.MAX_SAFE_INTEGER },
      { limit: 1_000_000_000, offset: 1_000_000_000 },
      { query: [1, 0, 0], params: { hnsw_ef: 4_000_000_000 } },
    ]) {
      const res = await server.call("POST", "/collections/c/points/query", body);
      expect(res.status).toBe(200);
      expect(res.body.result.points.length).toBeLessThanOrEqual(stored.length);
    }
    const far = await server.call("POST", "/collections/c/points/query", {
      query: [1, 0, 0],
      offset: 2 ** 40,
    });
    expect(far.body.result.points).toEqual([]);
    const all = await server.call("POST", "/collections/c/points/query", {
      query: [1, 0, 0],
      limit: 10 ** 9,
    });
    expect(all.body.result.points).toHaveLength(stored.length);
  });

  it("bad query parameters are a 400", async () => {
    expectError(await server.call("PUT", "/collections/c/points?wait=yes", { points: [] }), 400, /`wait`/);
    expectError(
      await server.call("PUT", "/collections/c/points?ordering=fast", { points: [] }),
      400,
      /`ordering`/,
    );
    expectError(await server.call("POST", "/collections/c/points/count?timeout=0", {}), 400, /`timeout`/);
  });

  it("a body over the limit is a 413 that says what to do", async () => {
    const big = JSON.stringify({
      points: Array.from({ length: 40_000 }, (_, id) => ({ id, vector: [0.123456, 0.234567, 0.345678] })),
    });
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expectError(
      await server.call("PUT", "/collections/c/points", big),
      413,
      /larger than the 1 MiB limit.*batches/,
    );
    await expectUnchanged();
  });
});

describe("unknown collections and unsupported features", () => {
  it("every collection-scoped endpoint answers 404 for a missing collection", async () => {
    const calls: [string, string, unknown][] = [
      ["GET", "/collections/missing", undefined],
      ["PUT", "/collections/missing/points", { points: [{ id: 1, vector: [1] }] }],
      ["POST", "/collections/missing/points", { ids: [1] }],
      ["GET", "/collections/missing/points/1", undefined],
      ["POST", "/collections/missing/points/query", { query: [1] }],
      ["POST", "/collections/missing/points/query/batch", { searches: [{ query: [1] }] }],
      ["POST", "/collections/missing/points/scroll", {}],
      ["POST", "/collections/missing/points/count", {}],
      ["POST", "/collections/missing/points/delete", { points: [1] }],
      ["POST", "/collections/missing/points/payload", { payload: {}, points: [1] }],
      ["POST", "/collections/missing/points/batch", { operations: [] }],
      ["PUT", "/collections/missing/index", { field_name: "a", field_schema: "keyword" }],
    ];
    for (const [method, path, body] of calls) {
      expectError(await server.call(method, path, body), 404, /Collection `missing` doesn't exist/);
    }
  });

  it("refuses named, sparse and multi-vectors and other distances with a clear message", async () => {
    expectError(
      await server.call("PUT", "/collections/named", { vectors: { text: { size: 3, distance: "Cosine" } } }),
      400,
      /named vectors \(`text`\) is not supported by planvec serve-qdrant/,
    );
    expectError(
      await server.call("PUT", "/collections/sparse", {
        vectors: { size: 3, distance: "Cosine" },
        sparse_vectors: { s: {} },
      }),
      400,
      /sparse vectors is not supported/,
    );
    expectError(
      await server.call("PUT", "/collections/multi", {
        vectors: { size: 3, distance: "Cosine", multivector_config: { comparator: "max_sim" } },
      }),
      400,
      /multivectors/,
    );
    expectError(
      await server.call("PUT", "/collections/manh", { vectors: { size: 3, distance: "Manhattan" } }),
      400,
      /distance `Manhattan`/,
    );
    expectError(
      await server.call("PUT", "/collections/c/points", { points: [{ id: 3, vector: { text: [1, 2, 3] } }] }),
      400,
      /named vectors/,
    );
    expectError(
      await server.call("PUT", "/collections/c/points", { points: [{ id: 3, vector: [[1, 2, 3]] }] }),
      400,
      /multivectors/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/query", { query: { recommend: { positive: [1] } } }),
      400,
      /query type `recommend`/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/query", { query: [1, 0, 0], using: "text" }),
      400,
      /named vectors/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/query", {
        prefetch: { query: [1, 0, 0] },
        query: [1, 0, 0],
      }),
      400,
      /`prefetch`/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/count", {
        filter: { must: [{ key: "loc", geo_radius: { center: { lon: 0, lat: 0 }, radius: 1 } }] },
      }),
      400,
      /geo condition/,
    );
    expectError(
      await server.call("POST", "/collections/c/points/scroll", { order_by: "a" }),
      400,
      /`order_by`/,
    );
    for (const name of ["named", "sparse", "multi", "manh"]) {
      expect((await server.call("GET", `/collections/${name}/exists`)).body.result.exists).toBe(false);
    }
    await expectUnchanged();
  });

  it("a malformed batch of operations applies none of them", async () => {
    const res = await server.call("POST", "/collections/c/points/batch", {
      operations: [{ delete: { points: [1, 2] } }, { upsert: { points: [{ id: 9, vector: [1, 2] }] } }],
    });
    expectError(res, 400, /expected dim: 3, got 2/);
    await expectUnchanged();
  });
});

describe("a 50 MB body at the default limit", () => {
  it("is refused with 413 and the server keeps serving", async () => {
    const other = await startTestServer();
    try {
      await other.call("PUT", "/collections/c", { vectors: { size: 3, distance: "Cosine" } });
      const body = `{"points":[${'{"id":1,"vector":[0.1,0.2,0.3],"payload":{"pad":"'.concat("x".repeat(50 * 1024 * 1024), '"}}')}]}`;
      const res = await other.call("PUT", "/collections/c/points", body);
      expect(res.status).toBe(413);
      expect(res.body.status.error).toMatch(/32 MiB limit/);
      expect((await other.call("POST", "/collections/c/points/count", {})).body.result.count).toBe(0);
      expect(other.violations).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe("spec conformance of this suite", () => {
  it("every error above matched Qdrant's OpenAPI response schemas", () => {
    expect(server.checked.count).toBeGreaterThan(40);
    expect(server.violations).toEqual([]);
  });
});
