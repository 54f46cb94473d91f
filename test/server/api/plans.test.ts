import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

// The real model (models/all-MiniLM-L6-v2) indexes two small plans through the roadmap manager.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ "embedding.enabled": true }, { PLANVEC_CACHE_DIR: "" });
  cpSync(new URL("../../fixtures/service/plans", import.meta.url), join(t.dir, "plans"), { recursive: true });
  const reindex = await t.request("POST", "/api/v1/managers/roadmap/actions/reindex", {
    key: t.keys.write,
    body: { roots: [join(t.dir, "plans")] },
  });
  expect(reindex.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await t.server.close();
});

describe("plans over a real index", () => {
  it("lists plans and progress", async () => {
    const plans = (await t.request("GET", "/api/v1/plans", { key: t.keys.read })).body as {
      file: string;
      done: number;
      total: number;
    }[];
    expect(plans.map((p) => [p.file.split("/").pop(), p.done, p.total]).sort()).toEqual([
      ["roadmap-v1.md", 2, 5],
      ["roadmap-v2.md", 1, 3],
    ]);
    const progress = (await t.request("GET", "/api/v1/plans/progress", { key: t.keys.read })).body as {
      overall: { done: number; total: number };
    };
    expect(progress.overall).toMatchObject({ done: 3, total: 8 });
    const filtered = (await t.request("GET", "/api/v1/plans?file=v2", { key: t.keys.read }))
      .body as unknown[];
    expect(filtered).toHaveLength(1);
  });

  it("searches by text (embedded per request) and finds the matching task", async () => {
    const result = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { text: "cache embeddings in redis", limit: 3 },
    });
    expect(result.status).toBe(200);
    const hits = (result.body as { hits: { payload: { title?: string } }[] }).hits;
    expect(hits[0]?.payload.title).toMatch(/Redis/);
    const metrics = (await t.request("GET", "/metrics", { key: t.keys.read })).text;
    expect(metrics).toMatch(/planvec_embedding_seconds_count [1-9]/);
    expect(metrics).toMatch(/planvec_embedding_cache_hit_ratio\{level="l1"\} [0-9.]+/);
  });

  it("finds the near-duplicate API-keys task across the two plans", async () => {
    const report = (await t.request("GET", "/api/v1/tasks/duplicates?threshold=0.85", { key: t.keys.read }))
      .body as { clusters: { members: { title: string }[] }[] };
    const titles = report.clusters.flatMap((c) => c.members.map((m) => m.title));
    expect(titles.some((title) => /API keys/.test(title))).toBe(true);
  });

  it("publishes plan.indexed, persisted for late subscribers", async () => {
    const seen: unknown[] = [];
    t.server.bus.subscribe(
      "plan.indexed",
      (e) => {
        seen.push(e.payload);
      },
      { since: 0 },
    );
    await t.server.bus.drain();
    expect(seen).toMatchObject([{ files: 2, changed: 2 }]);
  });
});
