import { describe, expect, it } from "vitest";
import { ApiKeyStore } from "../../../src/managers/index.js";
import { startTestServer } from "./helpers.js";

describe("rate limits, revocation, shutdown", () => {
  it("limits each key separately and answers 429 with Retry-After", async () => {
    const t = await startTestServer({ "server.rateLimitMax": 3, "server.rateLimitWindowMs": 60_000 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await t.request("GET", "/api/v1/plans", { key: t.keys.read })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await t.request("GET", "/api/v1/plans", { key: t.keys.read });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((limited.body as { error: { code: string } }).error.code).toBe("rate_limited");
      // Another key has its own budget; probes are never limited.
      expect((await t.request("GET", "/api/v1/plans", { key: t.keys.write })).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await t.request("GET", "/healthz")).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });

  it("a key revoked from the CLI's store is refused at once", async () => {
    const t = await startTestServer();
    try {
      expect((await t.request("GET", "/api/v1/plans", { key: t.keys.read })).status).toBe(200);
      const keys = ApiKeyStore.open(`${t.dir}/service.db`);
      const id = t.keys.read.split("_")[1] as string;
      expect(keys.revoke(id)).toBe(true);
      keys.close();
      expect((await t.request("GET", "/api/v1/plans", { key: t.keys.read })).status).toBe(401);
    } finally {
      await t.server.close();
    }
  });

  it("graceful shutdown finishes in-flight requests, then stops every manager", async () => {
    const t = await startTestServer();
    await t.request("POST", "/api/v1/vectors/upsert", {
      key: t.keys.write,
      body: {
        collection: "c",
        points: Array.from({ length: 500 }, (_, i) => ({ id: i, vector: [Math.sin(i), Math.cos(i), 1] })),
      },
    });
    const inFlight = Array.from({ length: 40 }, () =>
      t
        .request("POST", "/api/v1/vectors/search", {
          key: t.keys.read,
          body: { collection: "c", vector: [1, 0, 1], limit: 50 },
        })
        .then(
          (r) => r.status,
          () => -1,
        ),
    );
    // Close as soon as the server has answered one of them: the rest are accepted or queued.
    await Promise.race(inFlight);
    await t.server.close();
    const statuses = await Promise.all(inFlight);
    // Accepted requests complete (200); none fails with a server error or a dropped connection mid-response.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503 || s === -1)).toBe(true);
    const states = t.server.coordinator.list().map((m) => m.status().state);
    expect(new Set(states)).toEqual(new Set(["stopped"]));
    await expect(fetch(`${t.server.url}/healthz`)).rejects.toThrow();
  });

  it("readyz turns 503 when a manager is down; the backup action writes a restorable export", async () => {
    const t = await startTestServer();
    try {
      await t.request("POST", "/api/v1/vectors/upsert", {
        key: t.keys.write,
        body: { collection: "b", points: [{ id: 7, vector: [1, 2] }] },
      });
      const backup = await t.request("POST", "/api/v1/managers/storage/actions/backup", {
        key: t.keys.admin,
        body: { collection: "b" },
      });
      expect(backup.status).toBe(200);
      const { file, points } = (backup.body as { result: { file: string; points: number } }).result;
      expect(points).toBe(1);
      const { readFileSync } = await import("node:fs");
      const { gunzipSync } = await import("node:zlib");
      expect(file).toMatch(/b-.*\.jsonl\.gz$/);
      expect(gunzipSync(readFileSync(file)).toString("utf8")).toContain('"id":7');
      expect(
        (
          await t.request("POST", "/api/v1/managers/storage/actions/backup", {
            key: t.keys.write,
            body: { collection: "b" },
          })
        ).status,
      ).toBe(403);
      await t.server.coordinator.get("search").stop();
      const ready = await t.request("GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: "down", managers: { search: { state: "stopped" } } });
    } finally {
      await t.server.close();
    }
  });

  it("docs and the OpenAPI document can require a key; metrics can be opened", async () => {
    const t = await startTestServer({ "server.docsPublic": false, "server.metricsPublic": true });
    try {
      expect((await t.request("GET", "/openapi.json")).status).toBe(401);
      expect((await t.request("GET", "/docs/")).status).toBe(401);
      // The spec is closed on every route that serves it, not only /openapi.json.
      expect((await t.request("GET", "/docs/json")).status).toBe(401);
      expect((await t.request("GET", "/docs/yaml")).status).toBe(401);
      expect((await t.request("GET", "/docs/json", { key: t.keys.read })).status).toBe(200);
      // The UI's static files (Swagger UI's own JS and CSS from the npm package) stay public.
      expect((await t.request("GET", "/openapi.json", { key: t.keys.read })).status).toBe(200);
      expect((await t.request("GET", "/docs/", { key: t.keys.read })).status).toBe(200);
      expect((await t.request("GET", "/metrics")).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });

  it("an address presenting invalid keys is slowed down with 429 after FAILED_AUTH_LIMIT tries", async () => {
    const { FAILED_AUTH_LIMIT } = await import("../../../src/server/api/app.js");
    const t = await startTestServer();
    try {
      const bad = "pvk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
      for (let i = 0; i < FAILED_AUTH_LIMIT; i++)
        expect((await t.request("GET", "/api/v1/plans", { key: bad })).status).toBe(401);
      const limited = await t.request("GET", "/api/v1/plans", { key: bad });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // Even a valid key from that address waits: the address is what is throttled.
      expect((await t.request("GET", "/api/v1/plans", { key: t.keys.read })).status).toBe(429);
      expect((await t.request("GET", "/healthz")).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });
});
