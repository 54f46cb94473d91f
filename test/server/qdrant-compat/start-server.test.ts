import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  QdrantCompatService,
  qdrantCompatPlugin,
  startQdrantCompatServer,
} from "../../../src/server/qdrant-compat/index.js";
import { PayloadIndexRegistry } from "../../../src/server/qdrant-compat/payload-indexes.js";
import type { VectorStore } from "../../../src/store/contract.js";
import { openTestStore } from "./harness.js";

let dir: string;
let store: VectorStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-qc-start-"));
  store = await openTestStore(join(dir, "store"));
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("startQdrantCompatServer", () => {
  it("binds a free port with port 0 and leaves a caller's store open on close", async () => {
    const server = await startQdrantCompatServer({ port: 0, store, dataDir: join(dir, "data") });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/collections/a`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vectors: { size: 2, distance: "Dot" } }),
    });
    expect(res.status).toBe(200);
    await server.close();
    await expect(fetch(`${server.url}/`)).rejects.toThrow();
    // The store was ours to close: still usable.
    expect(await store.listCollections()).toContain("a");
  });

  it("refuses a busy port with EADDRINUSE", async () => {
    const first = await startQdrantCompatServer({ port: 0, store });
    await expect(startQdrantCompatServer({ port: first.port, store })).rejects.toMatchObject({
      code: "EADDRINUSE",
    });
    await first.close();
  });
});

describe("qdrantCompatPlugin", () => {
  it("mounts under a prefix inside another Fastify app", async () => {
    const app = Fastify();
    app.get("/other", async () => ({ mine: true }));
    const service = new QdrantCompatService(store, await PayloadIndexRegistry.open(null));
    await app.register(qdrantCompatPlugin, { service, prefix: "/qdrant" });
    const version = await app.inject({ method: "GET", url: "/qdrant/" });
    expect(version.json().version).toBe("1.19.0");
    const list = await app.inject({ method: "GET", url: "/qdrant/collections" });
    expect(list.json().result.collections).toContainEqual({ name: "a" });
    expect((await app.inject({ method: "GET", url: "/other" })).json()).toEqual({ mine: true });
    await app.close();
  });
});
