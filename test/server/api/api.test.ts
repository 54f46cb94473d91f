import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  const upsert = await t.request("POST", "/api/v1/vectors/upsert", {
    key: t.keys.write,
    body: {
      collection: "notes",
      points: [
        { id: 1, vector: [1, 0, 0], payload: { title: "east" } },
        { id: 2, vector: [0, 1, 0], payload: { title: "north" } },
        { id: 3, vector: [0.9, 0.1, 0], payload: { title: "east-ish" } },
      ],
    },
  });
  expect(upsert.status).toBe(200);
});
afterAll(async () => {
  await t.server.close();
});

describe("probes, docs, metrics", () => {
  it("healthz and readyz are open; readyz aggregates managers", async () => {
    expect((await t.request("GET", "/healthz")).body).toEqual({ status: "ok" });
    const ready = await t.request("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ok" });
    expect(Object.keys((ready.body as { managers: object }).managers).sort()).toEqual([
      "config",
      "dependencies",
      "embedding",
      "monitoring",
      "roadmap",
      "schemas",
      "search",
      "security",
      "security-policies",
      "storage",
    ]);
  });

  it("serves an OpenAPI 3.1 document covering the routes and a UI from local assets", async () => {
    const doc = (await t.request("GET", "/openapi.json")).body as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/api/v1/vectors/search",
      "/api/v1/plans",
      "/api/v1/plans/progress",
      "/api/v1/tasks/duplicates",
      "/api/v1/managers",
      "/api/v1/managers/{name}/status",
      "/api/v1/managers/{name}/actions/{action}",
      "/api/v1/config/{key}",
      "/api/v1/import",
      "/api/v1/jobs/{id}",
      "/healthz",
      "/readyz",
      "/metrics",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const search = doc.paths["/api/v1/vectors/search"]?.post as {
      requestBody: { content: Record<string, { schema: { properties: object } }> };
    };
    expect(Object.keys(search.requestBody.content["application/json"]?.schema.properties ?? {})).toContain(
      "vector",
    );
    const ui = await t.request("GET", "/docs/");
    expect(ui.status).toBe(200);
    expect(ui.text).toContain("swagger");
    expect(ui.text).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    const bundle = await t.request("GET", "/docs/static/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
  });

  it("metrics need a read key and expose request histograms, store counts, queue depth", async () => {
    expect((await t.request("GET", "/metrics")).status).toBe(401);
    const metrics = await t.request("GET", "/metrics", { key: t.keys.read });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /planvec_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/vectors\/upsert".*status="200"/,
    );
    expect(metrics.text).toMatch(/planvec_store_operations_total\{operation="upsert",outcome="ok"\} 1/);
    expect(metrics.text).toContain("planvec_event_bus_queue_depth");
  });
});

describe("vectors", () => {
  it("searches by vector with limit and filter", async () => {
    const result = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { collection: "notes", vector: [1, 0, 0], limit: 2 },
    });
    expect(result.status).toBe(200);
    const hits = (result.body as { hits: { id: number; score: number; payload: { title: string } }[] }).hits;
    expect(hits.map((h) => h.id)).toEqual([1, 3]);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    const filtered = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: {
        collection: "notes",
        vector: [1, 0, 0],
        filter: { must: [{ key: "title", match: { value: "north" } }] },
      },
    });
    expect((filtered.body as { hits: { id: number }[] }).hits.map((h) => h.id)).toEqual([2]);
  });

  it("answers 400 with every field path for invalid input, never a stack trace", async () => {
    const bad = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { collection: "notes", vector: ["x"], limit: 0, extra: 1 },
    });
    expect(bad.status).toBe(400);
    const error = (bad.body as { error: { code: string; details: { path: string }[]; requestId: string } })
      .error;
    expect(error.code).toBe("invalid_request");
    const paths = error.details.map((d) => d.path);
    expect(paths).toContain("body/vector/0");
    expect(paths).toContain("body/limit");
    expect(paths).toContain("body/extra");
    expect(error.requestId).toBe(bad.headers.get("x-request-id") ?? error.requestId);
    expect(bad.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const malformed = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    // Prototype poisoning, plain or spelled in escapes, is refused before any handler runs.
    for (const poisoned of [
      '{"collection": "c", "vector": [1, 0, 0], "__proto__": {"admin": true}}',
      '{"collection": "c", "vector": [1, 0, 0], "\\u005f_proto__": {"admin": true}}',
      '{"collection": "c", "vector": [1, 0, 0], "constructor": {"prototype": {"admin": true}}}',
    ]) {
      const refused = await t.request("POST", "/api/v1/vectors/search", { key: t.keys.read, body: poisoned });
      expect(refused.status).toBe(400);
    }
    const missing = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { collection: "ghost", vector: [1, 0, 0] },
    });
    expect(missing.status).toBe(404);
    const wrongDims = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { collection: "notes", vector: [1, 0] },
    });
    expect(wrongDims.status).toBe(400);
    const text = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { collection: "notes", text: "east" },
    });
    expect(text.status).toBe(503);
    expect((text.body as { error: { code: string } }).error.code).toBe("embedding_disabled");
  });

  it("rejects bodies over the limit with 413", async () => {
    const huge = { collection: "notes", text: "x".repeat(2 * 1024 * 1024) };
    const result = await t.request("POST", "/api/v1/vectors/search", { key: t.keys.read, body: huge });
    expect(result.status).toBe(413);
  });
});

describe("managers, config, keys", () => {
  it("lists managers and their status, runs actions with per-action scopes", async () => {
    const list = await t.request("GET", "/api/v1/managers", { key: t.keys.read });
    expect((list.body as { name: string }[]).map((m) => m.name)).toContain("storage");
    const status = await t.request("GET", "/api/v1/managers/storage/status", { key: t.keys.read });
    expect(status.body).toMatchObject({ name: "storage", state: "running", errors: [] });
    expect((await t.request("GET", "/api/v1/managers/nope/status", { key: t.keys.read })).status).toBe(404);
    const collections = await t.request("POST", "/api/v1/managers/storage/actions/collections", {
      key: t.keys.read,
      body: {},
    });
    expect(collections.body).toEqual({ result: [{ name: "notes", points: 3 }] });
    expect(
      (
        await t.request("POST", "/api/v1/managers/security/actions/list-keys", {
          key: t.keys.write,
          body: {},
        })
      ).status,
    ).toBe(403);
    const keys = await t.request("POST", "/api/v1/managers/security/actions/list-keys", {
      key: t.keys.admin,
      body: {},
    });
    expect((keys.body as { result: unknown[] }).result).toHaveLength(3);
    expect(keys.text).not.toContain(t.keys.admin.slice(17) /* the secret, after pvk_<id>_ */);
    const badInput = await t.request("POST", "/api/v1/managers/security/actions/revoke-key", {
      key: t.keys.admin,
      body: { id: 5 },
    });
    expect(badInput.status).toBe(400);
    expect(
      (await t.request("POST", "/api/v1/managers/storage/actions/nope", { key: t.keys.admin, body: {} }))
        .status,
    ).toBe(404);
  });

  it("serves config values redacted, admin only", async () => {
    const port = await t.request("GET", "/api/v1/config/server.port", { key: t.keys.admin });
    expect(port.body).toEqual({ key: "server.port", value: 0, source: "flag:--server.port" });
    expect((await t.request("GET", "/api/v1/config/server.port", { key: t.keys.write })).status).toBe(403);
    expect((await t.request("GET", "/api/v1/config/no.such", { key: t.keys.admin })).status).toBe(404);
  });

  it("plans endpoints answer from the (empty) index", async () => {
    expect((await t.request("GET", "/api/v1/plans", { key: t.keys.read })).body).toEqual([]);
    expect((await t.request("GET", "/api/v1/plans/progress", { key: t.keys.read })).body).toMatchObject({
      plans: [],
      overall: { total: 0 },
    });
    expect(
      (await t.request("GET", "/api/v1/tasks/duplicates?threshold=0.2", { key: t.keys.read })).status,
    ).toBe(400);
  });

  it("import runs as a job with progress", async () => {
    const { writeFileSync } = await import("node:fs");
    const file = `${t.dir}/points.jsonl`;
    writeFileSync(
      file,
      `${[1, 2, 3].map((i) => JSON.stringify({ id: i, vector: [i, 1, 0], payload: { n: i } })).join("\n")}\n`,
    );
    const started = await t.request("POST", "/api/v1/import", {
      key: t.keys.admin,
      body: { source: file, collection: "imported", format: "jsonl" },
    });
    expect(started.status).toBe(202);
    const id = (started.body as { id: string }).id;
    let job: { state: string; error: string | null } = { state: "running", error: null };
    for (let i = 0; i < 100 && job.state === "running"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await t.request("GET", `/api/v1/jobs/${id}`, { key: t.keys.read })).body as typeof job;
    }
    expect(job.error).toBeNull();
    expect(job.state).toBe("succeeded");
    const hits = await t.request("POST", "/api/v1/vectors/search", {
      key: t.keys.read,
      body: { collection: "imported", vector: [3, 1, 0], limit: 1 },
    });
    expect((hits.body as { hits: { id: number }[] }).hits[0]?.id).toBe(3);
  });

  it("never logs keys; every log line carries the request id", async () => {
    await t.request("GET", "/api/v1/managers", { key: t.keys.admin });
    await t.request("GET", "/api/v1/managers", { headers: { authorization: `Bearer ${t.keys.read}` } });
    await t.request("GET", "/api/v1/managers", {
      key: "pvk_000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro",
    });
    const text = t.logText();
    expect(text.length).toBeGreaterThan(0);
    for (const key of Object.values(t.keys))
      expect(text).not.toContain(key.slice(17) /* the secret, after pvk_<id>_ */);
    expect(text).not.toContain("wrongwrongwrong");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { reqId?: string; msg: string });
    expect(lines.filter((l) => l.msg === "request completed").every((l) => typeof l.reqId === "string")).toBe(
      true,
    );
  });

  it("lines written by managers while serving a request carry that request's id", async () => {
    const before = t.logText().length;
    const response = await t.request("POST", "/api/v1/managers/storage/actions/collections", {
      key: t.keys.read,
      body: {},
      headers: { "x-request-id": "trace-me-42" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("trace-me-42");
    const lines = t
      .logText()
      .slice(before)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { reqId?: string; msg: string; manager?: string; pid?: number });
    const managerLines = lines.filter((l) => l.manager === "storage" && l.msg.startsWith("manager action"));
    expect(managerLines.map((l) => l.msg)).toEqual(["manager action started", "manager action done"]);
    for (const line of managerLines) expect(line.reqId).toBe("trace-me-42");
    // Every line of this request names it, the gateway's own included.
    for (const line of lines) expect(line.reqId).toBe("trace-me-42");
  });
});
