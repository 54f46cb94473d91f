/**
 * Fault tests for the Qdrant store: a loopback TCP proxy between the store and a real HTTP
 * upstream (planvec's Qdrant-compatible server, or a minimal node:http responder for status
 * codes the server cannot be made to return) resets, black-holes, cuts and delays
 * connections. Checked: retries on transient failures, the breaker opening, failing fast and
 * recovering half-open, 4xx never retried, and no write reported successful unless it was.
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QdrantCompatServer, startQdrantCompatServer } from "../../src/server/qdrant-compat/index.js";
import { StoreError } from "../../src/store/contract.js";
import { type CircuitEvent, QdrantStore } from "../../src/store/qdrant/store.js";
import { seededVectors } from "./contract.suite.js";
import { FaultProxy } from "./helpers/fault-proxy.js";

const quiet = { onCircuitChange: () => {} };

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(StoreError);
  return e as StoreError;
}

describe("Qdrant store under network faults (compat server behind a fault proxy)", () => {
  let server: QdrantCompatServer;
  let dir: string;
  let direct: QdrantStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "planvec-faults-"));
    server = await startQdrantCompatServer({ host: "127.0.0.1", port: 0, dataDir: dir });
    direct = await QdrantStore.connect(server.url, quiet);
  });
  afterAll(async () => {
    await direct?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function through(proxyOptions: Partial<Parameters<typeof QdrantStore.connect>[1]> = {}) {
    const proxy = new FaultProxy("127.0.0.1", server.port);
    const url = await proxy.start();
    const store = await QdrantStore.connect(url, {
      initialDelayMs: 5,
      maxDelayMs: 50,
      ...quiet,
      ...proxyOptions,
    });
    return { proxy, store };
  }

  it("retries connection resets and completes the write", async () => {
    const { proxy, store } = await through({ retries: 4 });
    try {
      await direct.ensureCollection("resets", { dims: 4, distance: "Cosine" });
      proxy.failNext(2, "reset");
      const vectors = seededVectors(50, 4, 1);
      const r = await store.upsert(
        "resets",
        vectors.map((v, i) => ({ id: i, vector: v, payload: { i } })),
      );
      expect(r.upserted).toBe(50);
      expect(proxy.stats.reset).toBe(2);
      expect(await direct.count("resets")).toBe(50);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("opens the breaker after repeated failures, fails fast while open, recovers half-open", async () => {
    const events: CircuitEvent[] = [];
    const { proxy, store } = await through({
      retries: 2,
      breakerThreshold: 3,
      halfOpenAfterMs: 300,
      onCircuitChange: (e) => events.push(e),
    });
    try {
      await direct.ensureCollection("breaker", { dims: 2, distance: "Dot" });
      proxy.setMode("reset");
      const first = await rejection(store.count("breaker"));
      expect(first.code).toBe("unavailable");
      // Three attempts: the pooled keep-alive socket the proxy just cut, then two resets.
      expect(proxy.stats.reset).toBeGreaterThanOrEqual(2);
      const connectionsWhenOpened = proxy.stats.connections;
      expect(events).toEqual(["open"]);
      expect(store.circuitState).toBe("open");
      const fast = await rejection(store.count("breaker"));
      expect(fast.code).toBe("unavailable");
      expect(fast.message).toMatch(/circuit breaker open/);
      expect(proxy.stats.connections).toBe(connectionsWhenOpened);
      proxy.setMode("pass");
      await new Promise((r) => setTimeout(r, 350));
      expect(await store.count("breaker")).toBe(0);
      expect(events).toEqual(["open", "half-open", "closed"]);
      expect(store.circuitState).toBe("closed");
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("times out on a black-holed connection and does not report the write", async () => {
    const { proxy, store } = await through({ retries: 1, timeoutMs: 250 });
    try {
      await direct.ensureCollection("blackhole", { dims: 2, distance: "Dot" });
      proxy.setMode("blackhole");
      const e = await rejection(store.upsert("blackhole", [{ id: 1, vector: [1, 2] }]));
      expect(["timeout", "unavailable"]).toContain(e.code);
      expect(proxy.stats.blackhole).toBeGreaterThanOrEqual(1);
      expect(await direct.count("blackhole")).toBe(0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("under chaos, every upsert reported successful is stored (lost answers are retried or reported failed)", async () => {
    const { proxy, store } = await through({ retries: 3, timeoutMs: 1_000, breakerThreshold: 1_000 });
    try {
      await direct.ensureCollection("chaos", { dims: 4, distance: "Cosine" });
      // Switch to chaos only after connecting; new connections draw a fault each.
      proxy.setMode("chaos");
      proxy.delayMs = 30;
      const acknowledged: number[] = [];
      let failed = 0;
      for (let batch = 0; batch < 30; batch++) {
        proxy.setMode("chaos");
        const ids = Array.from({ length: 10 }, (_, i) => batch * 10 + i);
        const vectors = seededVectors(10, 4, batch + 1);
        try {
          await store.upsert(
            "chaos",
            ids.map((id, i) => ({ id, vector: vectors[i] as number[], payload: { batch } })),
          );
          acknowledged.push(...ids);
        } catch (error) {
          expect(error).toBeInstanceOf(StoreError);
          failed++;
        }
      }
      expect(proxy.stats.reset + proxy.stats.cut).toBeGreaterThan(5);
      expect(acknowledged.length).toBeGreaterThan(0);
      const stored = await direct.get("chaos", acknowledged);
      expect(stored.map((p) => p.id)).toEqual(acknowledged);
      for (const p of stored) expect(p.payload?.batch).toBe(Math.floor((p.id as number) / 10));
      expect(acknowledged.length + failed * 10).toBe(300);
    } finally {
      await store.close();
      await proxy.close();
    }
  }, 60_000);
});

describe("Qdrant store: which HTTP failures are retried (minimal responder)", () => {
  let upstream: http.Server;
  let url: string;
  const hits = new Map<string, number>();
  let version = "1.19.0";

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      const key = `${req.method} ${req.url}`;
      const n = (hits.get(key) ?? 0) + 1;
      hits.set(key, n);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      req.resume();
      req.on("end", () => {
        if (req.url === "/") return send(200, { title: "qdrant - vector search engine", version });
        if (req.url?.startsWith("/collections/flaky/points/count")) {
          return n <= 2
            ? send(503, { status: { error: "Service unavailable: overloaded" } })
            : send(200, { result: { count: 7 }, status: "ok", time: 0 });
        }
        if (req.url?.startsWith("/collections/busy/points/count")) {
          return n <= 1
            ? send(429, { status: { error: "Too many requests" } })
            : send(200, { result: { count: 3 }, status: "ok", time: 0 });
        }
        if (req.url?.startsWith("/collections/bad/points/count")) {
          return send(400, { status: { error: "Bad request: boom in filter key" }, time: 0 });
        }
        return send(404, { status: { error: "Not found: Collection `x` doesn't exist!" }, time: 0 });
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
  });

  it("retries 503 and 429, never 400, and surfaces Qdrant's error body", async () => {
    const store = await QdrantStore.connect(url, { retries: 3, initialDelayMs: 5, ...quiet });
    expect(await store.count("flaky")).toBe(7);
    expect(hits.get("POST /collections/flaky/points/count")).toBe(3);
    expect(await store.count("busy")).toBe(3);
    expect(hits.get("POST /collections/busy/points/count")).toBe(2);
    const bad = await rejection(store.count("bad"));
    expect(hits.get("POST /collections/bad/points/count")).toBe(1);
    expect(bad.message).toContain("boom in filter key");
    expect(bad.details?.status).toBe(400);
    const missing = await rejection(store.count("nope"));
    expect(missing.code).toBe("not_found");
    expect(hits.get("POST /collections/nope/points/count")).toBe(1);
  });

  it("refuses servers older than the Query API", async () => {
    version = "1.9.4";
    try {
      const e = await rejection(QdrantStore.connect(url, quiet));
      expect(e.message).toMatch(/version 1\.9\.4.*needs ≥ 1\.10\.0/);
    } finally {
      version = "1.19.0";
    }
  });
});
