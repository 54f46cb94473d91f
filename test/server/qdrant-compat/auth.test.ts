import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ apiKey: "k3y" });
});
afterAll(async () => {
  await server?.close();
});

describe("api key", () => {
  it("refuses requests without a key, or with a wrong one, in Qdrant's error shape", async () => {
    const none = await server.call("GET", "/collections");
    expect(none.status).toBe(401);
    expect(none.body.status.error).toMatch(/Must provide an API key/);
    const wrong = await server.call("GET", "/collections", undefined, { "api-key": "k3y-but-longer" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.status.error).toMatch(/Invalid API key/);
    const wrongBearer = await server.call("GET", "/collections", undefined, { authorization: "Bearer nope" });
    expect(wrongBearer.status).toBe(401);
    // A refused write writes nothing.
    const put = await server.call("PUT", "/collections/x", { vectors: { size: 2, distance: "Dot" } });
    expect(put.status).toBe(401);
    const check = await server.call("GET", "/collections/x/exists", undefined, { "api-key": "k3y" });
    expect(check.body.result.exists).toBe(false);
  });

  it("accepts the api-key header and an Authorization bearer token", async () => {
    expect((await server.call("GET", "/collections", undefined, { "api-key": "k3y" })).status).toBe(200);
    expect(
      (await server.call("GET", "/collections", undefined, { authorization: "Bearer k3y" })).status,
    ).toBe(200);
    expect(
      (await server.call("GET", "/collections", undefined, { authorization: "bearer k3y" })).status,
    ).toBe(200);
  });

  it("leaves the health probes and version open", async () => {
    for (const path of ["/", "/healthz", "/livez", "/readyz"]) {
      expect((await server.call("GET", path)).status).toBe(200);
    }
  });

  it("all responses matched the spec", () => {
    expect(server.violations).toEqual([]);
  });
});
