/**
 * The REST API gateway (`planvec serve`): one Fastify app in front of the managers, with API
 * keys and scopes, per-key rate limits, JSON Schema validation, OpenAPI 3.1 at /openapi.json
 * and a UI at /docs (assets served from the npm package, no CDN), Prometheus metrics.
 */

import { randomUUID } from "node:crypto";
import { join } from "node:path";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { Ajv } from "ajv";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { PlanvecError } from "../../core/errors.js";
import { runInRequest } from "../../logging/context.js";
import type { Logger } from "../../logging/logger.js";
import { type ApiKeyInfo, scopeAllows } from "../../managers/api-keys.js";
import type { ConfigManager } from "../../managers/builtin/config-manager.js";
import type { MonitoringManager } from "../../managers/builtin/monitoring-manager.js";
import type { RoadmapManager } from "../../managers/builtin/roadmap-manager.js";
import type { SearchManager } from "../../managers/builtin/search-manager.js";
import type { SecurityManager } from "../../managers/builtin/security-manager.js";
import type { StorageManager } from "../../managers/builtin/storage-manager.js";
import type { Coordinator } from "../../managers/coordinator.js";
import type { Scope } from "../../managers/types.js";
import type { Distance } from "../../store/index.js";
import { jsonBodyParser } from "../json-body.js";
import { JobRegistry } from "./jobs.js";
import * as S from "./schemas.js";

declare module "fastify" {
  interface FastifyRequest {
    principal?: ApiKeyInfo;
  }
  interface FastifyContextConfig {
    /** Scope a route needs; absent = open (health probes). */
    scope?: Scope;
  }
}

export interface ApiAppOptions {
  coordinator: Coordinator;
  logger: Logger;
  /** Called with each verified key's secret so logs can mask it. */
  onSecret?: (secret: string) => void;
}

export interface ApiApp {
  app: FastifyInstance;
  jobs: JobRegistry;
}

/** Send the API's error shape. */
function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details?: { path: string; message: string }[],
) {
  return reply
    .status(status)
    .send({ error: { code, message, requestId: reply.request.id, ...(details ? { details } : {}) } });
}

/** Invalid keys one client IP may present per minute before it gets 429. */
export const FAILED_AUTH_LIMIT = 30;

const STATUS_BY_CODE: Record<string, number> = {
  unknown_manager: 404,
  not_found: 404,
  collection_not_found: 404,
  embedding_disabled: 503,
  dimension_mismatch: 400,
  invalid_id: 400,
  invalid_filter: 400,
  invalid_input: 400,
  empty_query: 400,
  invalid_limit: 400,
};

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers["x-api-key"] ?? request.headers["api-key"];
  if (typeof header === "string" && header.length > 0) return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === "string" && /^bearer\s+/i.test(authorization))
    return authorization.replace(/^bearer\s+/i, "");
  return undefined;
}

/** Build the gateway (not listening). The coordinator must be started. */
export async function buildApiApp(options: ApiAppOptions): Promise<ApiApp> {
  const { coordinator } = options;
  const config = coordinator.get<ConfigManager>("config").loaded.config;
  const monitoring = coordinator.get<MonitoringManager>("monitoring");
  const security = coordinator.get<SecurityManager>("security");
  const jobs = JobRegistry.open(join(config.dataDir, "jobs.db"));

  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: config.server.bodyLimitBytes,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    ajv: {
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: "array", useDefaults: true },
    },
  });
  app.addSchema(S.errorSchema);
  // Fastify's JSON parser for bodies that could poison prototypes, plain JSON.parse otherwise.
  const guardedJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, jsonBodyParser(guardedJson));

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "planvec API",
        version: "1",
        description:
          "Search and manage a planvec index. Authenticate with `x-api-key: KEY` or `Authorization: Bearer KEY` (keys from `planvec keys create`). Scopes nest: admin > write > read.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
          bearer: { type: "http", scheme: "bearer" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    ...(config.server.docsPublic
      ? {}
      : {
          uiHooks: {
            // Async hook: returning after authorize() has replied 401/403 ends the request there.
            onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
              if (!(await authorize(request, reply, "read"))) return reply;
            },
          },
        }),
  });

  // Everything done for a request (managers, store, embedder) logs under its id, and the
  // caller gets the id back to quote (it echoes a valid incoming x-request-id).
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    runInRequest(request.id, done);
  });

  // Authentication first (onRequest), so the rate limit below can key on the caller.
  const touched = new Map<string, number>();
  // Failed key checks per client IP: past FAILED_AUTH_LIMIT in a minute, the IP gets 429 until
  // the minute ends, so nobody can try keys at request rate (the per-key limit cannot apply yet).
  const failures = new Map<string, { count: number; resetAt: number }>();
  function tooManyFailures(request: FastifyRequest, reply: FastifyReply): boolean {
    const entry = failures.get(request.ip);
    if (!entry || entry.resetAt <= Date.now() || entry.count < FAILED_AUTH_LIMIT) return false;
    reply.header("retry-after", String(Math.ceil((entry.resetAt - Date.now()) / 1000)));
    sendError(
      reply,
      429,
      "rate_limited",
      "too many requests with an invalid API key from this address; retry later",
    );
    return true;
  }
  function recordFailure(request: FastifyRequest): void {
    const now = Date.now();
    const entry = failures.get(request.ip);
    if (!entry || entry.resetAt <= now) {
      if (failures.size > 10_000) failures.clear();
      failures.set(request.ip, { count: 1, resetAt: now + 60_000 });
    } else entry.count++;
  }

  async function authorize(request: FastifyRequest, reply: FastifyReply, scope: Scope): Promise<boolean> {
    if (tooManyFailures(request, reply)) return false;
    const presented = presentedKey(request);
    if (presented === undefined) {
      reply.header("www-authenticate", 'Bearer realm="planvec"');
      sendError(
        reply,
        401,
        "unauthorized",
        "an API key is required: send `x-api-key: KEY` or `Authorization: Bearer KEY`",
      );
      return false;
    }
    options.onSecret?.(presented);
    const key = security.keys.verify(presented);
    if (!key) {
      reply.header("www-authenticate", 'Bearer realm="planvec", error="invalid_token"');
      recordFailure(request);
      sendError(reply, 401, "unauthorized", "invalid or revoked API key");
      return false;
    }
    request.principal = key;
    const last = touched.get(key.id) ?? 0;
    if (Date.now() - last > 60_000) {
      touched.set(key.id, Date.now());
      security.keys.touch(key.id);
    }
    if (!scopeAllows(key.scopes, scope)) {
      sendError(
        reply,
        403,
        "forbidden",
        `this route needs the "${scope}" scope; the key has: ${key.scopes.join(", ")}`,
      );
      return false;
    }
    return true;
  }
  app.addHook("onRequest", async (request, reply) => {
    const scope = request.routeOptions.config?.scope;
    if (scope === undefined) return;
    if (!(await authorize(request, reply, scope))) return reply;
  });

  await app.register(rateLimit, {
    global: true,
    hook: "preParsing",
    max: config.server.rateLimitMax,
    timeWindow: config.server.rateLimitWindowMs,
    keyGenerator: (request) => (request.principal ? `key:${request.principal.id}` : `ip:${request.ip}`),
    allowList: (request) =>
      request.routeOptions.config?.scope === undefined && request.url.split("?")[0] !== "/docs",
    errorResponseBuilder: (request, context) => ({
      statusCode: 429,
      error: {
        code: "rate_limited",
        message: `rate limit of ${context.max} requests per ${context.after} exceeded; retry after ${context.after}`,
        requestId: request.id,
      },
    }),
  });

  app.addHook("onResponse", async (request, reply) => {
    monitoring.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const err = error as Error & {
      validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[];
      validationContext?: string;
      statusCode?: number;
      code?: string;
    };
    if (err.validation) {
      const details = err.validation.map((v) => ({
        path: `${err.validationContext ?? "body"}${v.instancePath || ""}${v.params?.missingProperty ? `/${v.params.missingProperty}` : ""}${v.params?.additionalProperty ? `/${v.params.additionalProperty}` : ""}`,
        message: v.message ?? "invalid",
      }));
      return sendError(
        reply,
        400,
        "invalid_request",
        `invalid request: ${details.map((d) => `${d.path} ${d.message}`).join("; ")}`,
        details,
      );
    }
    if (err.statusCode === 429) return reply.status(429).send(error);
    if (error instanceof PlanvecError) {
      const status = STATUS_BY_CODE[error.code] ?? (/^invalid|_invalid$/.test(error.code) ? 400 : 500);
      if (status < 500 || status === 503) return sendError(reply, status, error.code, error.message);
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, err.statusCode, (err.code ?? "bad_request").toLowerCase(), err.message);
    }
    request.log.error({ err: error }, "request failed");
    return sendError(
      reply,
      500,
      "internal",
      "internal error; the server log has the details under this request id",
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, "not_found", `no route ${request.method} ${request.url.split("?")[0]}; see /docs`),
  );

  // --- probes and metrics -------------------------------------------------------------
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["service"],
        summary: "Liveness: the process answers",
        response: { 200: { type: "object", properties: { status: { type: "string" } } } },
      },
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        tags: ["service"],
        summary: "Readiness: every manager running",
        response: { 200: S.healthResponse, 503: S.healthResponse },
      },
    },
    async (_request, reply) => {
      const health = await coordinator.health();
      return reply.status(health.status === "down" ? 503 : 200).send(health);
    },
  );
  app.get(
    "/metrics",
    {
      config: config.server.metricsPublic ? {} : { scope: "read" },
      schema: {
        tags: ["service"],
        summary: "Prometheus metrics",
        response: {
          200: {
            description: "Prometheus text format",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          401: S.errorRef,
          403: S.errorRef,
          429: S.errorRef,
        },
      },
    },
    async (_request, reply) =>
      reply.type(monitoring.registry.contentType).send(await monitoring.registry.metrics()),
  );
  app.get(
    "/openapi.json",
    { config: config.server.docsPublic ? {} : { scope: "read" }, schema: { hide: true } },
    async () => app.swagger(),
  );

  // --- managers -------------------------------------------------------------------------
  const read = { scope: "read" as const };
  app.get(
    "/api/v1/managers",
    {
      config: read,
      schema: {
        tags: ["managers"],
        summary: "Every manager with its state",
        security: [{ apiKey: [] }, { bearer: [] }],
        response: { 200: { type: "array", items: S.anyObject }, ...S.authErrors },
      },
    },
    async () =>
      coordinator.list().map((m) => ({
        name: m.name,
        dependsOn: [...m.dependsOn],
        ...m.status(),
        actions: Object.entries(m.actions ?? {}).map(([name, a]) => ({
          name,
          description: a.description,
          scope: a.scope,
          input: a.input,
        })),
      })),
  );
  app.get<{ Params: { name: string } }>(
    "/api/v1/managers/:name/status",
    {
      config: read,
      schema: {
        tags: ["managers"],
        summary: "One manager's status and metrics",
        security: [{ apiKey: [] }, { bearer: [] }],
        params: S.managerNameParams,
        response: { 200: S.anyObject, ...S.authErrors, ...S.notFound },
      },
    },
    async (request) => {
      const manager = coordinator.get(request.params.name);
      await manager.check?.();
      return { name: manager.name, ...manager.status(), metrics: manager.metrics?.() ?? {} };
    },
  );
  const actionValidator = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  app.post<{ Params: { name: string; action: string }; Body: Record<string, unknown> | undefined }>(
    "/api/v1/managers/:name/actions/:action",
    {
      config: read,
      schema: {
        tags: ["managers"],
        summary: "Run a manager action (input per `GET /api/v1/managers`; the scope depends on the action)",
        security: [{ apiKey: [] }, { bearer: [] }],
        params: S.actionParams,
        body: { type: "object", additionalProperties: true },
        response: {
          200: { type: "object", properties: { result: {} } },
          ...S.authErrors,
          ...S.bodyErrors,
          ...S.notFound,
        },
      },
    },
    async (request, reply) => {
      const manager = coordinator.get(request.params.name);
      const action = manager.actions?.[request.params.action];
      if (!action)
        return sendError(
          reply,
          404,
          "not_found",
          `manager "${manager.name}" has no action "${request.params.action}"`,
        );
      if (!scopeAllows(request.principal?.scopes ?? [], action.scope)) {
        return sendError(
          reply,
          403,
          "forbidden",
          `action ${manager.name}/${request.params.action} needs the "${action.scope}" scope`,
        );
      }
      const input = structuredClone(request.body ?? {});
      const validate = actionValidator.compile(action.input);
      if (!validate(input)) {
        const details = (validate.errors ?? []).map((e) => ({
          path: `body${e.instancePath}${e.params && "additionalProperty" in e.params ? `/${e.params.additionalProperty}` : ""}${e.params && "missingProperty" in e.params ? `/${e.params.missingProperty}` : ""}`,
          message: e.message ?? "invalid",
        }));
        return sendError(reply, 400, "invalid_request", "invalid action input", details);
      }
      if (action.scope !== "read")
        security.keys.audit(
          request.principal?.id ?? null,
          `action ${manager.name}/${request.params.action}`,
          JSON.stringify(input),
        );
      return { result: await coordinator.runAction(manager.name, request.params.action, input) };
    },
  );

  // --- vectors --------------------------------------------------------------------------
  const search = coordinator.get<SearchManager>("search");
  const storage = coordinator.get<StorageManager>("storage");
  app.post<{
    Body: {
      collection: string;
      vector?: number[];
      text?: string;
      filter?: Record<string, unknown>;
      limit: number;
      scoreThreshold?: number;
      withPayload: boolean;
    };
  }>(
    "/api/v1/vectors/search",
    {
      config: read,
      schema: {
        tags: ["vectors"],
        summary: "Nearest points to a vector, or to a text (embedded by the server)",
        security: [{ apiKey: [] }, { bearer: [] }],
        body: S.vectorSearchBody,
        response: {
          200: S.vectorSearchResponse,
          ...S.authErrors,
          ...S.bodyErrors,
          ...S.notFound,
          503: S.errorRef,
        },
      },
    },
    async (request) => {
      const body = request.body;
      const hits = await search.vectors({
        collection: body.collection,
        ...(body.vector ? { vector: body.vector } : { text: body.text as string }),
        filter: (body.filter as never) ?? null,
        limit: body.limit,
        withPayload: body.withPayload,
        ...(body.scoreThreshold === undefined ? {} : { scoreThreshold: body.scoreThreshold }),
      });
      return { collection: body.collection, hits };
    },
  );
  app.post<{
    Body: {
      collection: string;
      distance: Distance;
      points: { id: number | string; vector: number[]; payload?: Record<string, unknown> }[];
    };
  }>(
    "/api/v1/vectors/upsert",
    {
      config: { scope: "write" },
      schema: {
        tags: ["vectors"],
        summary: "Insert or replace points (the collection is created on first write)",
        security: [{ apiKey: [] }, { bearer: [] }],
        body: S.upsertBody,
        response: {
          200: {
            type: "object",
            properties: { collection: { type: "string" }, upserted: { type: "integer" } },
          },
          ...S.authErrors,
          ...S.bodyErrors,
        },
      },
    },
    async (request) => {
      const { collection, points, distance } = request.body;
      const dims = points[0]?.vector.length ?? 0;
      const existing = await storage.tracked("listCollections", () => storage.store.listCollections());
      if (!existing.includes(collection))
        await storage.tracked("ensureCollection", () =>
          storage.store.ensureCollection(collection, { dims, distance }),
        );
      await storage.tracked("upsert", () => storage.store.upsert(collection, points));
      return { collection, upserted: points.length };
    },
  );

  // --- config, import jobs ------------------------------------------------------------------
  app.get<{ Params: { key: string } }>(
    "/api/v1/config/:key",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["config"],
        summary: "One configuration value (secrets redacted) and where it came from",
        security: [{ apiKey: [] }, { bearer: [] }],
        params: S.configKeyParams,
        response: {
          200: {
            type: "object",
            properties: { key: { type: "string" }, value: {}, source: { type: "string" } },
          },
          ...S.authErrors,
          ...S.notFound,
        },
      },
    },
    async (request, reply) => {
      const found = coordinator.get<ConfigManager>("config").value(request.params.key);
      if (!found) return sendError(reply, 404, "not_found", `no configuration key "${request.params.key}"`);
      return { key: request.params.key, ...found };
    },
  );
  app.post<{
    Body: { source: string; collection: string; format?: string; dryRun: boolean; batchSize?: number };
  }>(
    "/api/v1/import",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["jobs"],
        summary: "Start a migration into a collection as a background job",
        security: [{ apiKey: [] }, { bearer: [] }],
        body: S.importBody,
        response: { 202: S.anyObject, ...S.authErrors, ...S.bodyErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const job = jobs.start("import", async (job, progress) => {
        const { migrate } = await import("../../migrate/engine.js");
        const report = await migrate({
          source: body.source,
          store: storage.store,
          collection: body.collection,
          format: body.format as never,
          dryRun: body.dryRun,
          batchSize: body.batchSize,
          stateDir: `${config.dataDir}/migrate`,
          onProgress: (p) => {
            progress({ ...p });
            coordinator.bus.publish("migration.progress", {
              jobId: job.id,
              read: p.read,
              written: p.written,
              failed: p.failed,
            });
          },
        });
        coordinator.bus.publish("migration.finished", {
          jobId: job.id,
          state: report.ok ? "succeeded" : "failed",
          written: Number((report as unknown as { written?: number }).written ?? 0),
        });
        // A failed migration's report (counts, error samples) stays readable on the job.
        job.result = report;
        if (!report.ok)
          throw new PlanvecError(
            "import",
            "migration_failed",
            "the migration did not complete; see the job result",
          );
        return report;
      });
      security.keys.audit(
        request.principal?.id ?? null,
        "import",
        JSON.stringify({ source: body.source, collection: body.collection }),
      );
      return reply.status(202).send({ id: job.id, state: job.state, location: `/api/v1/jobs/${job.id}` });
    },
  );
  app.get<{ Params: { id: string } }>(
    "/api/v1/jobs/:id",
    {
      config: read,
      schema: {
        tags: ["jobs"],
        summary: "A background job's state and progress",
        security: [{ apiKey: [] }, { bearer: [] }],
        params: S.jobParams,
        response: { 200: S.anyObject, ...S.authErrors, ...S.notFound },
      },
    },
    async (request, reply) => {
      const job = jobs.get(request.params.id);
      if (!job) return sendError(reply, 404, "not_found", `no job ${request.params.id}`);
      return job;
    },
  );

  // --- plans ---------------------------------------------------------------------------------
  const roadmap = coordinator.get<RoadmapManager>("roadmap");
  app.get<{ Querystring: { file?: string } }>(
    "/api/v1/plans",
    {
      config: read,
      schema: {
        tags: ["plans"],
        summary: "Indexed plans with task counts",
        security: [{ apiKey: [] }, { bearer: [] }],
        querystring: S.plansQuery,
        response: {
          200: {
            type: "array",
            items: {
              type: "object",
              properties: {
                file: { type: "string" },
                done: { type: "integer" },
                total: { type: "integer" },
                percent: { type: ["number", "null"] },
              },
            },
          },
          ...S.authErrors,
        },
      },
    },
    async (request) =>
      roadmap
        .progress()
        .plans.filter((p) => !request.query.file || p.file.includes(request.query.file))
        .map(({ file, done, total, percent }) => ({ file, done, total, percent })),
  );
  app.get(
    "/api/v1/plans/progress",
    {
      config: read,
      schema: {
        tags: ["plans"],
        summary: "Progress per plan and phase, and records per collection",
        security: [{ apiKey: [] }, { bearer: [] }],
        response: { 200: S.anyObject, ...S.authErrors },
      },
    },
    async () => roadmap.progress(),
  );
  app.get<{ Querystring: { threshold?: number } }>(
    "/api/v1/tasks/duplicates",
    {
      config: read,
      schema: {
        tags: ["plans"],
        summary: "Near-duplicate tasks across plans",
        security: [{ apiKey: [] }, { bearer: [] }],
        querystring: S.duplicatesQuery,
        response: { 200: S.anyObject, ...S.authErrors },
      },
    },
    async (request) =>
      roadmap.duplicates(request.query.threshold === undefined ? {} : { threshold: request.query.threshold }),
  );

  return { app: app as unknown as FastifyInstance, jobs };
}
