import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../../src/config/index.js";
import { createLogger, type PlanvecLogger } from "../../../src/logging/index.js";
import { ApiKeyStore } from "../../../src/managers/index.js";
import { type ApiServer, startApiServer } from "../../../src/server/api/index.js";

export interface TestServer {
  server: ApiServer;
  dir: string;
  keys: { read: string; write: string; admin: string };
  logText: () => string;
  request(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: unknown; text: string }>;
}

/** A real server on 127.0.0.1:0 over a fresh embedded store, with one key per scope. */
export async function startTestServer(
  flags: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "planvec-api-"));
  const loaded = loadConfig({
    env,
    file: "/dev/null",
    flags: {
      dataDir: dir,
      "store.spec": `embedded:${join(dir, "store")}`,
      "server.port": 0,
      "embedding.enabled": false,
      logLevel: "info",
      ...flags,
    },
  });
  const store = ApiKeyStore.open(join(dir, "service.db"));
  const keys = {
    read: store.create(["read"]).key,
    write: store.create(["write"]).key,
    admin: store.create(["admin"]).key,
  };
  store.close();
  const chunks: string[] = [];
  const log: PlanvecLogger = createLogger({
    level: "info",
    env: "production",
    destination: new Writable({
      write(chunk, _e, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
  });
  const server = await startApiServer({ loaded, log });
  return {
    server,
    dir,
    keys,
    logText: () => chunks.join(""),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.key) headers["x-api-key"] = options.key;
      if (options.body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(options.body !== undefined
          ? { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }
          : {}),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: response.status, headers: response.headers, body, text };
    },
  };
}
