/**
 * Test harness: a real server on 127.0.0.1 (port 0) over a real store in a temp dir, with a
 * hook that validates EVERY response it sends against Qdrant's OpenAPI response schemas.
 * Violations are collected and each test file asserts there were none.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildQdrantCompatApp } from "../../../src/server/qdrant-compat/app.js";
import { PayloadIndexRegistry } from "../../../src/server/qdrant-compat/payload-indexes.js";
import { QdrantCompatService } from "../../../src/server/qdrant-compat/service.js";
import { qdrantOpenApiSubset, responseValidator } from "../../../src/server/qdrant-compat/spec.js";
import type { VectorStore } from "../../../src/store/contract.js";
import { openStore } from "../../../src/store/index.js";

export interface TestServer {
  url: string;
  app: FastifyInstance;
  store: VectorStore;
  dir: string;
  /** Responses checked against the spec so far. */
  checked: { count: number };
  /** Spec violations seen so far (`METHOD path status: detail`). */
  violations: string[];
  /** fetch() relative to the server, JSON in and out. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  close(): Promise<void>;
}

export interface JsonResponse {
  status: number;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON answers
  body: any;
  text: string;
}

/** The real embedded store in `dir` (no background indexing: tests want deterministic timing). */
export async function openTestStore(dir: string): Promise<VectorStore> {
  return openStore(`embedded:${dir}`, { backgroundIndexing: false });
}

const operationsByRoute = new Map<string, string>();
for (const [path, item] of Object.entries(qdrantOpenApiSubset.paths)) {
  for (const [method, op] of Object.entries(item)) {
    operationsByRoute.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`, op.operationId);
  }
}

export async function startTestServer(
  options: { apiKey?: string; bodyLimitBytes?: number; store?: VectorStore } = {},
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "planvec-qdrant-compat-"));
  const store = options.store ?? (await openTestStore(join(dir, "store")));
  const service = new QdrantCompatService(store, await PayloadIndexRegistry.open(join(dir, "indexes.json")));
  const app = await buildQdrantCompatApp({
    service,
    apiKey: options.apiKey,
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
  });
  const violations: string[] = [];
  const checked = { count: 0 };
  app.addHook("onSend", async (request, reply, payload) => {
    const route = `${request.method} ${request.routeOptions.url ?? ""}`;
    const operationId = operationsByRoute.get(route);
    const where = `${request.method} ${request.url} ${reply.statusCode}`;
    const contentType = String(reply.getHeader("content-type") ?? "");
    if (!operationId) {
      // Unknown endpoints still answer in Qdrant's error shape.
      if (!contentType.startsWith("application/json")) violations.push(`${where}: non-JSON answer`);
      else checkErrorShape(String(payload), where, violations);
      checked.count++;
      return payload;
    }
    if (["healthz", "livez", "readyz"].includes(operationId) && reply.statusCode === 200) {
      if (!contentType.startsWith("text/plain")) violations.push(`${where}: expected text/plain`);
      checked.count++;
      return payload;
    }
    if (!contentType.startsWith("application/json")) {
      violations.push(`${where}: content-type ${contentType}`);
      return payload;
    }
    const body = JSON.parse(String(payload));
    const validate = responseValidator(operationId, reply.statusCode);
    if (reply.statusCode >= 400) checkErrorShape(String(payload), where, violations);
    if (validate && !validate(body)) violations.push(`${where}: ${validate.describe()}`);
    if (reply.statusCode === 200 && operationId !== "root" && body.status !== "ok") {
      violations.push(`${where}: envelope status is not "ok"`);
    }
    checked.count++;
    return payload;
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    app,
    store,
    dir,
    checked,
    violations,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      }
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      const contentType = response.headers.get("content-type") ?? "";
      let parsed: unknown = text;
      if (contentType.startsWith("application/json")) parsed = JSON.parse(text);
      return { status: response.status, contentType, body: parsed, text };
    },
    async close() {
      await app.close();
      if (!options.store) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function checkErrorShape(payload: string, where: string, violations: string[]): void {
  const body = JSON.parse(payload);
  if (typeof body?.status?.error !== "string" || typeof body?.time !== "number") {
    violations.push(`${where}: error body is not {status: {error}, time}: ${payload.slice(0, 200)}`);
  }
}

/** Deterministic pseudo-random vectors (mulberry32), so failures reproduce. */
export function randomVectors(count: number, dims: number, seed = 1): number[][] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Array.from({ length: dims }, () => next() * 2 - 1));
}
