import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matches } from "../../store/oracle.js";
import { randomVectors, startTestServer, type TestServer } from "./harness.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

describe("service endpoints", () => {
  it("GET / reports a Qdrant version the clients accept", async () => {
    const res = await server.call("GET", "/");
    expect(res.status).toBe(200);
    expect(res.body.version).toBe("1.19.0");
    expect(res.body.title).toMatch(/qdrant/);
  });

  it("health probes answer in text/plain", async () => {
    for (const path of ["/healthz", "/livez", "/readyz"]) {
      const res = await server.call("GET", path);
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^text\/plain/);
    }
  });

  it("unknown endpoints answer 404 in Qdrant's error shape", async () => {
    const res = await server.call("GET", "/telemetry");
    expect(res.status).toBe(404);
    expect(res.body.status.error).toMatch(/no endpoint GET \/telemetry/);
  });
});

describe("collections", () => {
  it("creates, lists, describes, checks and deletes a collection", async () => {
    const created = await server.call("PUT", "/collections/books", {
      vectors: { size: 4, distance: "Cosine" },
      metadata: { modelId: "test-model" },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ result: true, status: "ok" });
    expect(typeof created.body.time).toBe("number");
    // `time` is the seconds spent, as in Qdrant: positive, and well under a second here.
    expect(created.body.time).toBeGreaterThan(0);
    expect(created.body.time).toBeLessThan(5);

    const list = await server.call("GET", "/collections");
    expect(list.body.result.collections).toContainEqual({ name: "books" });

    const info = await server.call("GET", "/collections/books");
    expect(info.status).toBe(200);
    expect(info.body.result.config.params.vectors).toEqual({ size: 4, distance: "Cosine" });
    expect(info.body.result.config.metadata).toEqual({ modelId: "test-model" });
    expect(info.body.result.points_count).toBe(0);

    expect((await server.call("GET", "/collections/books/exists")).body.result).toEqual({ exists: true });
    expect((await server.call("GET", "/collections/nope/exists")).body.result).toEqual({ exists: false });

    const again = await server.call("PUT", "/collections/books", {
      vectors: { size: 4, distance: "Cosine" },
    });
    expect(again.status).toBe(409);
    expect(again.body.status.error).toMatch(/already exists/);

    const deleted = await server.call("DELETE", "/collections/books");
    expect(deleted.body.result).toBe(true);
    const missing = await server.call("DELETE", "/collections/books");
    expect(missing.status).toBe(200);
    expect(missing.body.result).toBe(false);
    expect((await server.call("GET", "/collections/books")).status).toBe(404);
  });

  it("accepts payload index declarations and reports them in payload_schema", async () => {
    await server.call("PUT", "/collections/indexed", { vectors: { size: 2, distance: "Dot" } });
    await server.call("PUT", "/collections/indexed/points?wait=true", {
      points: [
        { id: 1, vector: [1, 0], payload: { city: "Paris" } },
        { id: 2, vector: [0, 1], payload: { other: 1 } },
      ],
    });
    const created = await server.call("PUT", "/collections/indexed/index?wait=true", {
      field_name: "city",
      field_schema: "keyword",
    });
    expect(created.status).toBe(200);
    expect(created.body.result.status).toBe("completed");
    const info = await server.call("GET", "/collections/indexed");
    expect(info.body.result.payload_schema).toEqual({ city: { data_type: "keyword", points: 1 } });
    const removed = await server.call("DELETE", "/collections/indexed/index/city");
    expect(removed.status).toBe(200);
    expect((await server.call("GET", "/collections/indexed")).body.result.payload_schema).toEqual({});
  });
});

describe("points", () => {
  const dims = 8;
  const vectors = randomVectors(200, dims, 7);
  const colors = ["red", "green", "blue"];
  const payloadOf = (i: number) => ({
    n: i,
    color: colors[i % 3],
    tags: i % 2 === 0 ? ["even", `t${i % 5}`] : [`t${i % 5}`],
    meta: { owner: `user${i % 4}` },
  });

  beforeAll(async () => {
    await server.call("PUT", "/collections/pts", { vectors: { size: dims, distance: "Cosine" } });
    // Half in the `points` form, half in the `batch` form.
    const first = await server.call("PUT", "/collections/pts/points?wait=true", {
      points: vectors.slice(0, 100).map((vector, i) => ({ id: i, vector, payload: payloadOf(i) })),
    });
    expect(first.status).toBe(200);
    expect(first.body.result.status).toBe("completed");
    const second = await server.call("PUT", "/collections/pts/points?wait=true&ordering=strong", {
      batch: {
        ids: vectors.slice(100).map((_, i) => 100 + i),
        vectors: vectors.slice(100),
        payloads: vectors.slice(100).map((_, i) => payloadOf(100 + i)),
      },
    });
    expect(second.status).toBe(200);
  });

  it("counts all points and filtered points", async () => {
    expect((await server.call("POST", "/collections/pts/points/count", { exact: true })).body.result).toEqual(
      {
        count: 200,
      },
    );
    const filter = { must: [{ key: "color", match: { value: "red" } }] };
    const expected = vectors.filter((_, i) => i % 3 === 0).length;
    expect((await server.call("POST", "/collections/pts/points/count", { filter })).body.result.count).toBe(
      expected,
    );
    // An empty body means "no filter".
    expect((await server.call("POST", "/collections/pts/points/count", "")).body.result.count).toBe(200);
  });

  it("retrieves points by id, with payload by default and vectors on request", async () => {
    const res = await server.call("POST", "/collections/pts/points", { ids: [5, 3, 999], with_vector: true });
    expect(res.body.result.map((p: { id: number }) => p.id)).toEqual([5, 3]);
    expect(res.body.result[0].payload).toEqual(payloadOf(5));
    expect(res.body.result[0].vector).toHaveLength(dims);
    // Cosine collections keep vectors normalised, as Qdrant does: same direction as sent.
    expect(cosine(res.body.result[0].vector, vectors[5] ?? [])).toBeCloseTo(1, 5);

    const bare = await server.call("POST", "/collections/pts/points", { ids: [5], with_payload: false });
    expect(bare.body.result[0]).toMatchObject({ id: 5, payload: null, vector: null });

    const one = await server.call("GET", "/collections/pts/points/7");
    expect(one.body.result.payload).toEqual(payloadOf(7));
    expect((await server.call("GET", "/collections/pts/points/12345")).status).toBe(404);
  });

  it("payload selectors include and exclude keys", async () => {
    const include = await server.call("POST", "/collections/pts/points", {
      ids: [4],
      with_payload: { include: ["color"] },
    });
    expect(include.body.result[0].payload).toEqual({ color: payloadOf(4).color });
    const exclude = await server.call("POST", "/collections/pts/points", {
      ids: [4],
      with_payload: { exclude: ["tags", "meta"] },
    });
    expect(exclude.body.result[0].payload).toEqual({ n: 4, color: payloadOf(4).color });
    const keys = await server.call("POST", "/collections/pts/points", { ids: [4], with_payload: ["n"] });
    expect(keys.body.result[0].payload).toEqual({ n: 4 });
  });

  it("queries nearest by vector, ranked like a brute-force cosine scan", async () => {
    const query = randomVectors(1, dims, 99)[0] ?? [];
    const res = await server.call("POST", "/collections/pts/points/query", {
      query,
      limit: 10,
      with_payload: true,
    });
    expect(res.status).toBe(200);
    const expected = vectors
      .map((v, id) => ({ id, score: cosine(query, v) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    expect(res.body.result.points.map((p: { id: number }) => p.id)).toEqual(expected.map((e) => e.id));
    expect(res.body.result.points[0].score).toBeCloseTo(expected[0]?.score ?? 0, 4);
    expect(res.body.result.points[0].payload).toEqual(payloadOf(expected[0]?.id ?? 0));
    expect(res.body.result.points[0].version).toBe(0);

    const nearest = await server.call("POST", "/collections/pts/points/query", {
      query: { nearest: query },
      limit: 10,
      offset: 3,
    });
    expect(nearest.body.result.points.map((p: { id: number }) => p.id)).toEqual(nearestIds(query, 3, 10));
    // Payload is not returned by default in /points/query (Qdrant's default).
    expect(nearest.body.result.points[0].payload).toBeNull();
  });

  function nearestIds(query: number[], offset: number, limit: number, keep = (_i: number) => true): number[] {
    return vectors
      .map((v, id) => ({ id, score: cosine(query, v) }))
      .filter(({ id }) => keep(id))
      .sort((a, b) => b.score - a.score)
      .slice(offset, offset + limit)
      .map((e) => e.id);
  }

  it("queries with a filter, a score threshold and vectors", async () => {
    const query = randomVectors(1, dims, 5)[0] ?? [];
    const filter = {
      must: [{ key: "tags", match: { value: "even" } }],
      must_not: [{ key: "meta.owner", match: { value: "user0" } }],
    };
    const res = await server.call("POST", "/collections/pts/points/query", {
      query,
      filter,
      limit: 5,
      with_vector: true,
      with_payload: true,
    });
    const keep = (i: number) => matches(filter, i, payloadOf(i));
    expect(res.body.result.points.map((p: { id: number }) => p.id)).toEqual(nearestIds(query, 0, 5, keep));
    for (const p of res.body.result.points) expect(p.vector).toHaveLength(dims);

    const threshold = 0.3;
    const thresholded = await server.call("POST", "/collections/pts/points/query", {
      query,
      limit: 200,
      score_threshold: threshold,
    });
    const expectedCount = vectors.filter((v) => cosine(query, v) >= threshold).length;
    expect(thresholded.body.result.points).toHaveLength(expectedCount);
  });

  it("queries by point id without returning that point", async () => {
    const res = await server.call("POST", "/collections/pts/points/query", { query: 10, limit: 5 });
    const ids = res.body.result.points.map((p: { id: number }) => p.id);
    expect(ids).not.toContain(10);
    expect(ids).toEqual(nearestIds(vectors[10] ?? [], 0, 5, (i) => i !== 10));
    const missing = await server.call("POST", "/collections/pts/points/query", { query: { nearest: 4242 } });
    expect(missing.status).toBe(404);
  });

  it("a query without `query` lists points in id order", async () => {
    const res = await server.call("POST", "/collections/pts/points/query", { limit: 3, offset: 2 });
    expect(res.body.result.points.map((p: { id: number }) => p.id)).toEqual([2, 3, 4]);
  });

  it("batch queries answer one result per search", async () => {
    const [a, b] = randomVectors(2, dims, 11);
    const res = await server.call("POST", "/collections/pts/points/query/batch", {
      searches: [
        { query: a, limit: 2 },
        { query: b, limit: 3, filter: { must: [{ key: "n", range: { gte: 150 } }] } },
      ],
    });
    expect(res.body.result).toHaveLength(2);
    expect(res.body.result[0].points.map((p: { id: number }) => p.id)).toEqual(nearestIds(a ?? [], 0, 2));
    expect(res.body.result[1].points.map((p: { id: number }) => p.id)).toEqual(
      nearestIds(b ?? [], 0, 3, (i) => i >= 150),
    );
  });

  it("scrolls every page in id order with next_page_offset", async () => {
    const filter = { should: [{ key: "color", match: { any: ["red", "blue"] } }] };
    const seen: number[] = [];
    let offset: number | null = null;
    let pages = 0;
    do {
      const res: { body: { result: { points: { id: number }[]; next_page_offset: number | null } } } =
        await server.call("POST", "/collections/pts/points/scroll", {
          filter,
          limit: 17,
          ...(offset === null ? {} : { offset }),
        });
      seen.push(...res.body.result.points.map((p) => p.id));
      offset = res.body.result.next_page_offset;
      pages++;
    } while (offset !== null && pages < 100);
    const expected = vectors.map((_, i) => i).filter((i) => i % 3 !== 1);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 17));
  });

  it("sets, overwrites, deletes and clears payload, by ids and by filter", async () => {
    await server.call("PUT", "/collections/pay", { vectors: { size: 2, distance: "Euclid" } });
    await server.call("PUT", "/collections/pay/points", {
      points: [1, 2, 3, 4].map((id) => ({ id, vector: [id, 0], payload: { k: id, keep: true } })),
    });
    const payloadOfId = async (id: number) =>
      (await server.call("GET", `/collections/pay/points/${id}`)).body.result.payload;

    expect(
      (
        await server.call("POST", "/collections/pay/points/payload?wait=true", {
          payload: { x: 1 },
          points: [1],
        })
      ).status,
    ).toBe(200);
    expect(await payloadOfId(1)).toEqual({ k: 1, keep: true, x: 1 });

    await server.call("POST", "/collections/pay/points/payload", {
      payload: { big: true },
      filter: { must: [{ key: "k", range: { gte: 3 } }] },
    });
    expect(await payloadOfId(3)).toEqual({ k: 3, keep: true, big: true });
    expect(await payloadOfId(2)).toEqual({ k: 2, keep: true });

    await server.call("PUT", "/collections/pay/points/payload", { payload: { only: 1 }, points: [2] });
    expect(await payloadOfId(2)).toEqual({ only: 1 });

    await server.call("POST", "/collections/pay/points/payload/delete", { keys: ["keep"], points: [3, 4] });
    expect(await payloadOfId(4)).toEqual({ k: 4, big: true });

    await server.call("POST", "/collections/pay/points/payload/clear", { points: [4] });
    expect(await payloadOfId(4)).toEqual({});

    const neither = await server.call("POST", "/collections/pay/points/payload", { payload: { y: 1 } });
    expect(neither.status).toBe(400);
    expect(neither.body.status.error).toMatch(/point ids .* or a `filter`/);
  });

  it("deletes points by ids and by filter", async () => {
    await server.call("PUT", "/collections/del", { vectors: { size: 2, distance: "Dot" } });
    await server.call("PUT", "/collections/del/points", {
      points: Array.from({ length: 10 }, (_, id) => ({
        id,
        vector: [1, id],
        payload: { odd: id % 2 === 1 },
      })),
    });
    await server.call("POST", "/collections/del/points/delete?wait=true", { points: [0, 2, 404] });
    await server.call("POST", "/collections/del/points/delete", {
      filter: { must: [{ key: "odd", match: { value: true } }] },
    });
    const rest = await server.call("POST", "/collections/del/points/scroll", { limit: 100 });
    expect(rest.body.result.points.map((p: { id: number }) => p.id)).toEqual([4, 6, 8]);
  });

  it("applies a batch of update operations in order", async () => {
    await server.call("PUT", "/collections/ops", { vectors: { size: 2, distance: "Cosine" } });
    const uuid = "550e8400-e29b-41d4-a716-446655440000";
    const res = await server.call("POST", "/collections/ops/points/batch?wait=true", {
      operations: [
        {
          upsert: {
            points: [
              { id: 1, vector: [1, 0], payload: { a: 1 } },
              { id: uuid.replaceAll("-", "").toUpperCase(), vector: [0, 1], payload: { a: 2 } },
            ],
          },
        },
        { set_payload: { payload: { b: true }, points: [1] } },
        { overwrite_payload: { payload: { c: 3 }, points: [uuid] } },
        { delete_payload: { keys: ["a"], points: [1] } },
        { upsert: { batch: { ids: [2], vectors: [[1, 1]] } } },
        { delete: { points: [2] } },
        { clear_payload: { points: [] } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.result).toHaveLength(7);
    const all = await server.call("POST", "/collections/ops/points/scroll", {});
    // Integer ids come before UUIDs, and UUIDs come back normalised.
    expect(all.body.result.points).toEqual([
      { id: 1, payload: { b: true }, vector: null },
      { id: uuid, payload: { c: 3 }, vector: null },
    ]);
  });

  it("upsert modes insert_only and update_only", async () => {
    await server.call("PUT", "/collections/modes", { vectors: { size: 2, distance: "Cosine" } });
    await server.call("PUT", "/collections/modes/points", {
      points: [{ id: 1, vector: [1, 0], payload: { v: 1 } }],
    });
    await server.call("PUT", "/collections/modes/points", {
      points: [
        { id: 1, vector: [1, 0], payload: { v: 2 } },
        { id: 2, vector: [0, 1], payload: { v: 2 } },
      ],
      update_mode: "insert_only",
    });
    await server.call("PUT", "/collections/modes/points", {
      points: [
        { id: 2, vector: [0, 1], payload: { v: 3 } },
        { id: 3, vector: [0, 1], payload: { v: 3 } },
      ],
      update_mode: "update_only",
    });
    const all = await server.call("POST", "/collections/modes/points/scroll", {});
    expect(
      all.body.result.points.map((p: { id: number; payload: { v: number } }) => [p.id, p.payload.v]),
    ).toEqual([
      [1, 1],
      [2, 3],
    ]);
  });
});

describe("spec conformance of this suite", () => {
  it("every response so far matched Qdrant's OpenAPI response schemas", () => {
    expect(server.checked.count).toBeGreaterThan(50);
    expect(server.violations).toEqual([]);
  });
});
