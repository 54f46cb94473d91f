import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.request("POST", "/api/v1/vectors/upsert", {
    key: t.keys.write,
    body: { collection: "notes", points: [{ id: 1, vector: [1, 0] }] },
  });
});
afterAll(async () => {
  await t.server.close();
});

type Needed = "open" | "read" | "write" | "admin";
const JOB = "00000000-0000-0000-0000-000000000000";
/** Every route, with a valid request, and the scope it needs. */
const ROUTES: { method: string; path: string; body?: unknown; needs: Needed }[] = [
  { method: "GET", path: "/healthz", needs: "open" },
  { method: "GET", path: "/readyz", needs: "open" },
  { method: "GET", path: "/openapi.json", needs: "open" },
  { method: "GET", path: "/metrics", needs: "read" },
  { method: "GET", path: "/api/v1/managers", needs: "read" },
  { method: "GET", path: "/api/v1/managers/storage/status", needs: "read" },
  { method: "POST", path: "/api/v1/managers/storage/actions/collections", body: {}, needs: "read" },
  { method: "POST", path: "/api/v1/managers/security/actions/list-keys", body: {}, needs: "admin" },
  {
    method: "POST",
    path: "/api/v1/vectors/search",
    body: { collection: "notes", vector: [1, 0] },
    needs: "read",
  },
  {
    method: "POST",
    path: "/api/v1/vectors/upsert",
    body: { collection: "notes", points: [{ id: 2, vector: [0, 1] }] },
    needs: "write",
  },
  { method: "GET", path: "/api/v1/config/server.host", needs: "admin" },
  {
    method: "POST",
    path: "/api/v1/import",
    body: { source: "/nonexistent.jsonl", collection: "x", format: "jsonl" },
    needs: "admin",
  },
  { method: "GET", path: `/api/v1/jobs/${JOB}`, needs: "read" },
  { method: "GET", path: "/api/v1/plans", needs: "read" },
  { method: "GET", path: "/api/v1/plans/progress", needs: "read" },
  { method: "GET", path: "/api/v1/tasks/duplicates", needs: "read" },
];
const RANK: Record<Needed, number> = { open: 0, read: 1, write: 2, admin: 3 };

describe("authorization matrix", () => {
  it("covers every route in the OpenAPI document", async () => {
    const doc = (await t.request("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const tested = new Set(
      ROUTES.map(
        (r) =>
          `${r.method} ${r.path.replace("storage/actions/collections", "{name}/actions/{action}").replace("security/actions/list-keys", "{name}/actions/{action}").replace("storage/status", "{name}/status").replace("server.host", "{key}").replace(JOB, "{id}")}`,
      ),
    );
    for (const route of documented) expect(tested, route).toContain(route);
  });

  for (const route of ROUTES) {
    for (const caller of ["none", "invalid", "read", "write", "admin"] as const) {
      it(`${route.method} ${route.path} as ${caller}`, async () => {
        const key =
          caller === "none"
            ? undefined
            : caller === "invalid"
              ? "pvk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
              : t.keys[caller];
        const response = await t.request(route.method, route.path, {
          ...(key ? { key } : {}),
          ...(route.body !== undefined ? { body: route.body } : {}),
        });
        let expected: "ok" | 401 | 403;
        if (route.needs === "open") expected = "ok";
        else if (caller === "none" || caller === "invalid") expected = 401;
        else expected = RANK[caller] >= RANK[route.needs] ? "ok" : 403;
        if (expected === "ok") {
          expect([401, 403, 429]).not.toContain(response.status);
          expect(response.status).toBeLessThan(500);
        } else {
          expect(response.status).toBe(expected);
          expect((response.body as { error: { code: string } }).error.code).toBe(
            expected === 401 ? "unauthorized" : "forbidden",
          );
        }
      });
    }
  }
});
