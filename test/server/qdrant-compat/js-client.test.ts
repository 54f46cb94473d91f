/**
 * The official @qdrant/js-client-rest, a client nobody here wrote, against the real server on
 * loopback: if it works here it works against Qdrant, and the other way round.
 */
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { randomVectors, startTestServer, type TestServer } from "./harness.js";

const API_KEY = "s3cret-key";
let server: TestServer;
let client: QdrantClient;
const warnings: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ apiKey: API_KEY });
  vi.spyOn(console, "warn").mockImplementation((message: string) => {
    warnings.push(String(message));
  });
  client = new QdrantClient({ url: server.url, apiKey: API_KEY });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
});

const dims = 16;
const vectors = randomVectors(300, dims, 3);

describe("@qdrant/js-client-rest against serve-qdrant", () => {
  it("passes the client's version check at start-up", async () => {
    const version = await client.versionInfo();
    expect(version.version).toBe("1.19.0");
    await new Promise((resolve) => setTimeout(resolve, 50));
    // (The client also warns that an api key travels over plain HTTP: true on loopback, and expected.)
    expect(warnings.filter((w) => /incompatible|server version/i.test(w))).toEqual([]);
  });

  it("creates a collection and upserts points with payloads", async () => {
    expect(await client.collectionExists("docs")).toEqual({ exists: false });
    expect(await client.createCollection("docs", { vectors: { size: dims, distance: "Cosine" } })).toBe(true);
    const result = await client.upsert("docs", {
      wait: true,
      points: vectors.map((vector, id) => ({
        id,
        vector,
        payload: { group: id % 10, title: `doc ${id}`, tags: id % 2 ? ["odd"] : ["even"] },
      })),
    });
    expect(result.status).toBe("completed");
    const info = await client.getCollection("docs");
    expect(info.points_count).toBe(300);
    expect(info.config.params.vectors).toEqual({ size: dims, distance: "Cosine" });
    expect((await client.getCollections()).collections).toContainEqual({ name: "docs" });
  });

  it("queries with a filter and gets the nearest matching points", async () => {
    const query = vectors[42] ?? [];
    const res = await client.query("docs", {
      query,
      filter: { must: [{ key: "group", match: { value: 2 } }] },
      limit: 3,
      with_payload: true,
    });
    expect(res.points[0]?.id).toBe(42);
    expect(res.points[0]?.score).toBeCloseTo(1, 5);
    for (const p of res.points) expect(p.payload?.group).toBe(2);

    const batch = await client.queryBatch("docs", {
      searches: [
        { query: vectors[1] ?? [], limit: 1 },
        { query: 7, limit: 2, filter: { must: [{ key: "tags", match: { any: ["odd"] } }] } },
      ],
    });
    expect(batch[0]?.points[0]?.id).toBe(1);
    expect(batch[1]?.points).toHaveLength(2);
    expect(batch[1]?.points.map((p) => p.id)).not.toContain(7);
  });

  it("scrolls all pages and counts", async () => {
    const ids: (string | number)[] = [];
    let offset: string | number | undefined | null;
    do {
      const page = await client.scroll("docs", {
        limit: 64,
        filter: { must_not: [{ key: "group", match: { value: 0 } }] },
        ...(offset === undefined || offset === null ? {} : { offset }),
      });
      ids.push(...page.points.map((p) => p.id));
      offset = page.next_page_offset as string | number | null | undefined;
    } while (offset !== null && offset !== undefined);
    expect(ids).toHaveLength(270);
    expect(ids).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    expect(
      (await client.count("docs", { filter: { must: [{ key: "group", match: { value: 0 } }] } })).count,
    ).toBe(30);
  });

  it("updates payloads, retrieves and deletes", async () => {
    await client.setPayload("docs", { payload: { reviewed: true }, points: [1, 2], wait: true });
    await client.overwritePayload("docs", { payload: { only: "this" }, points: [3], wait: true });
    await client.deletePayload("docs", { keys: ["title"], points: [1], wait: true });
    await client.clearPayload("docs", { points: [4], wait: true });
    const got = await client.retrieve("docs", { ids: [1, 2, 3, 4], with_payload: true });
    expect(got.map((p) => p.payload)).toEqual([
      { group: 1, tags: ["odd"], reviewed: true },
      { group: 2, title: "doc 2", tags: ["even"], reviewed: true },
      { only: "this" },
      {},
    ]);
    await client.delete("docs", { filter: { must: [{ key: "group", match: { value: 9 } }] }, wait: true });
    await client.delete("docs", { points: [0], wait: true });
    expect((await client.count("docs")).count).toBe(300 - 30 - 1);
    const ops = await client.batchUpdate("docs", {
      operations: [{ upsert: { points: [{ id: 1000, vector: vectors[0] ?? [], payload: { x: 1 } }] } }],
    });
    expect(ops).toHaveLength(1);
    expect(
      (await client.createPayloadIndex("docs", { field_name: "group", field_schema: "integer" })).status,
    ).toBe("completed");
  });

  it("surfaces Qdrant's errors through the client's error type", async () => {
    await expect(client.getCollection("nope")).rejects.toMatchObject({ status: 404 });
    await expect(
      client.createCollection("docs", { vectors: { size: dims, distance: "Cosine" } }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(client.upsert("docs", { points: [{ id: 1, vector: [1, 2] }] })).rejects.toMatchObject({
      status: 400,
    });
    const anonymous = new QdrantClient({ url: server.url, checkCompatibility: false });
    await expect(anonymous.getCollections()).rejects.toMatchObject({ status: 401 });
  });

  it("deletes the collection", async () => {
    expect(await client.deleteCollection("docs")).toBe(true);
    expect(await client.deleteCollection("docs")).toBe(false);
  });

  it("every response the client received matched Qdrant's OpenAPI schemas", () => {
    expect(server.checked.count).toBeGreaterThan(20);
    expect(server.violations).toEqual([]);
  });
});
