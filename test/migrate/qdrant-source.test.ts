/**
 * Input 6: a collection of a running Qdrant. The source collection is created and filled
 * with the official @qdrant/js-client-rest through planvec's Qdrant-compatible server on
 * loopback, then migrated out of it over REST (scroll with vectors and payloads).
 */
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate/engine.js";
import { type QdrantCompatServer, startQdrantCompatServer } from "../../src/server/qdrant-compat/index.js";
import type { VectorStore } from "../../src/store/contract.js";
import { fixture, openTestStore, tempDir } from "./helpers.js";

let server: QdrantCompatServer;
let sourceStore: VectorStore;
let target: VectorStore;
let cleanups: Array<() => Promise<void>> = [];
let stateDir: string;
const dims = 12;
const count = 700; // several scroll pages

beforeAll(async () => {
  const a = await tempDir();
  const b = await tempDir();
  cleanups = [a.cleanup, b.cleanup];
  stateDir = `${b.dir}/state`;
  sourceStore = await openTestStore(a.dir);
  target = await openTestStore(b.dir);
  server = await startQdrantCompatServer({ port: 0, store: sourceStore });
  const client = new QdrantClient({ url: server.url });
  await client.createCollection("legacy", { vectors: { size: dims, distance: "Dot" } });
  const points = Array.from({ length: count }, (_, i) => ({
    id: i % 2 === 0 ? i : `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    vector: Array.from({ length: dims }, (_, d) => Math.fround(Math.sin(i * 31 + d))),
    payload: { taskId: `t${i}`, status: i % 3 === 0 ? "done" : "todo", nested: { n: i } },
  }));
  for (let k = 0; k < points.length; k += 200) {
    await client.upsert("legacy", { wait: true, points: points.slice(k, k + 200) });
  }
});
afterAll(async () => {
  await server?.close();
  await sourceStore?.close();
  await target?.close();
  for (const cleanup of cleanups) await cleanup();
});

describe("migrate from a running Qdrant collection", () => {
  it("copies every point, vector and payload, with the source's distance", async () => {
    const report = await migrate({
      source: `${server.url}/collections/legacy`,
      store: target,
      collection: "adopted",
      stateDir,
      payloadMap: { taskId: "task_id" },
      backup: false,
    });
    expect(report.ok).toBe(true);
    expect(report.source).toMatchObject({ format: "qdrant", dims });
    expect(report.counts).toMatchObject({ read: count, written: count, verified: count, failed: 0 });
    const info = await target.collectionInfo("adopted");
    expect(info).toMatchObject({ dims, distance: "Dot", pointCount: count });
    const [even, odd] = await target.get("adopted", [4, "00000000-0000-4000-8000-000000000005"], {
      withVector: true,
    });
    expect(even?.payload).toEqual({ task_id: "t4", status: "todo", nested: { n: 4 } });
    expect(odd?.payload).toEqual({ task_id: "t5", status: "todo", nested: { n: 5 } });
    expect(even?.vector).toEqual(Array.from({ length: dims }, (_, d) => Math.fround(Math.sin(4 * 31 + d))));
  });

  it("names the collection when it does not exist", async () => {
    await expect(
      migrate({
        source: `qdrant:${server.url}`,
        sourceCollection: "nope",
        store: target,
        collection: "x",
        stateDir,
      }),
    ).rejects.toThrow(/404/);
  });
});

describe("migrate into a Qdrant store (qdrant:URL)", () => {
  it("writes, verifies, and rolls back through the Qdrant REST API", async () => {
    const spec = `qdrant:${server.url}`;
    const first = await migrate({
      source: fixture("legacy.json"),
      store: spec,
      collection: "into-qdrant",
      stateDir,
      distance: "Dot",
    });
    expect(first.ok).toBe(true);
    expect(first.counts).toMatchObject({ written: 24, verified: 24 });
    expect(await sourceStore.count("into-qdrant")).toBe(24);
    // Too many failures: the backup taken through Qdrant's scroll is restored.
    const bad = await migrate({
      source: fixture("invalid.jsonl"),
      store: spec,
      collection: "into-qdrant",
      stateDir,
    });
    expect(bad.rolledBack).toBe(true);
    expect(await sourceStore.count("into-qdrant")).toBe(24);
    const [one] = await sourceStore.get("into-qdrant", [2]);
    expect(one?.payload?.taskId).toBe("2.0.1");
  });
});
