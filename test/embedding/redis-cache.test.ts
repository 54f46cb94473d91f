import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder, type LocalEmbedder } from "../../src/embedding/embedder.js";
import { RedisServer, redisAvailability } from "./helpers.js";

// A real redis-server per file, on a free loopback port, no persistence; killed to simulate outages.
const availability = redisAvailability();
if (!availability.run) console.warn(`skipping Redis cache tests: ${availability.reason}`);

describe.skipIf(!availability.run)("L2 Redis cache (real redis-server)", () => {
  let server: RedisServer;
  let dir: string;
  const open: LocalEmbedder[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    dir = mkdtempSync(join(tmpdir(), "planvec-redis-"));
  });
  afterAll(async () => {
    for (const embedder of open) await embedder.close();
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  async function make(url: string, warnings: string[] = []): Promise<LocalEmbedder> {
    // No L3, so a hit after a fresh L1 can only come from Redis.
    const embedder = await createEmbedder({
      env: {},
      cache: { redisUrl: url, diskPath: null },
      onWarning: (m) => warnings.push(m),
    });
    open.push(embedder);
    return embedder;
  }

  it("shares vectors between embedders through Redis, stored as raw float32 under the model id", async () => {
    const writer = await make(server.url);
    const texts = ["Déployer le serveur compatible Qdrant", "Écrire la documentation de l'API"];
    const original = await writer.embed(texts);
    expect(writer.cacheStats()).toMatchObject({ l2: { hits: 0, misses: 2 }, computed: 2 });
    expect(writer.redisAvailable()).toBe(true);

    const reader = await make(server.url);
    const shared = await reader.embed(texts);
    expect(reader.cacheStats()).toMatchObject({
      l1: { hits: 0, misses: 2 },
      l2: { hits: 2, misses: 0 },
      computed: 0,
    });
    expect(shared.map((v) => Array.from(v))).toEqual(original.map((v) => Array.from(v)));

    const client = new Redis(server.url);
    try {
      const keys = await client.keys("planvec:emb:all-MiniLM-L6-v2/int8@*");
      expect(keys.length).toBe(2);
      const ttl = await client.ttl(keys[0] ?? "");
      expect(ttl).toBeGreaterThan(29 * 24 * 3600);
      expect((await client.getBuffer(keys[0] ?? ""))?.byteLength).toBe(384 * 4);
    } finally {
      client.disconnect();
    }
  });

  it("Redis unreachable at start: one warning, embeddings still work from the model", async () => {
    const warnings: string[] = [];
    const down = await RedisServer.start(); // take a free port, then free it
    const url = down.url;
    await down.kill();
    const embedder = await make(url, warnings);
    expect(embedder.redisAvailable()).toBe(false);
    const vectors = await embedder.embed(["Ajouter un index", "Supprimer un index"]);
    expect(vectors).toHaveLength(2);
    await embedder.embed(["Lister les index"]);
    expect(warnings.filter((w) => w.includes("Redis"))).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /Redis cache at redis:\/\/127\.0\.0\.1:\d+\/? unavailable.*memory and disk caches/,
    );
  });

  it("Redis dying mid-run degrades to L1 (+L3) with one warning, and comes back when Redis does", async () => {
    const warnings: string[] = [];
    const own = await RedisServer.start();
    try {
      const embedder = await make(own.url, warnings);
      await embedder.embed(["avant la panne"]);
      expect(embedder.redisAvailable()).toBe(true);

      await own.kill();
      for (let i = 0; i < 5; i++) {
        const [vector] = await embedder.embed([`pendant la panne ${i}`]);
        expect(vector?.length).toBe(384);
      }
      expect(warnings.filter((w) => w.includes("Redis"))).toHaveLength(1);
      expect(embedder.redisAvailable()).toBe(false);

      // Restart on the same port: ioredis reconnects by itself and L2 is used again.
      await own.spawn();
      const deadline = Date.now() + 10_000;
      while (!embedder.redisAvailable() && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(embedder.redisAvailable()).toBe(true);
      const before = embedder.cacheStats()?.l2?.misses ?? 0;
      await embedder.embed(["après la panne"]);
      expect(embedder.cacheStats()?.l2?.misses).toBe(before + 1);
      const client = new Redis(own.url);
      try {
        expect((await client.keys("planvec:emb:*")).length).toBe(1);
      } finally {
        client.disconnect();
      }
    } finally {
      await own.kill();
    }
  });
});
