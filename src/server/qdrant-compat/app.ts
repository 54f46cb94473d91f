/**
 * The Fastify side of the Qdrant-compatible server: a plugin that can be mounted in any
 * Fastify instance (`qdrantCompatPlugin`) and a ready-made app (`buildQdrantCompatApp`).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from "fastify";
import { jsonBodyParser } from "../json-body.js";
import { toHttpError } from "./errors.js";
import {
  checkQueryParameters,
  markStart,
  QDRANT_ROUTES,
  ROOT_INFO,
  routeParams,
  sendError,
  sendResult,
  validateBody,
} from "./routes.js";
import type { QdrantCompatService } from "./service.js";
import { requestBodyValidator } from "./spec.js";

/** Qdrant's default `max_request_size_mb`. */
export const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export interface QdrantCompatPluginOptions {
  service: QdrantCompatService;
  /** When set, every request but the health probes needs `api-key: KEY` or `Authorization: Bearer KEY`. */
  apiKey?: string | undefined;
  /** Largest accepted request body (default 32 MiB, Qdrant's default). */
  bodyLimitBytes?: number;
}

/** Probes that load balancers call without credentials; Qdrant leaves them open too. */
const OPEN_PATHS = new Set(["/", "/healthz", "/livez", "/readyz"]);

/** The Qdrant REST subset as a Fastify plugin (encapsulated: its hooks touch only its routes). */
export const qdrantCompatPlugin: FastifyPluginAsync<QdrantCompatPluginOptions> = async (app, options) => {
  const { service } = options;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  // An empty JSON body means "all defaults" (e.g. `POST /points/count` with nothing to say);
  // anything else goes through Fastify's parser, which refuses prototype poisoning.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  // Qdrant speaks JSON only; a text body would otherwise reach the validators as a string.
  app.removeContentTypeParser("text/plain");
  const parseBody = jsonBodyParser(parseJson);
  app.addContentTypeParser("application/json", { parseAs: "string", bodyLimit }, (request, body, done) => {
    if (typeof body === "string" && body.trim() === "") return done(null, undefined);
    parseBody(request, body, done);
  });

  app.addHook("onRequest", async (request) => {
    markStart(request);
  });

  if (options.apiKey !== undefined && options.apiKey !== "") {
    const expected = digest(options.apiKey);
    app.addHook("onRequest", async (request, reply) => {
      const path = request.url.split("?")[0] ?? "";
      if (OPEN_PATHS.has(path)) return;
      const given = presentedKey(request);
      if (given === undefined) {
        return sendError(
          reply,
          401,
          "Unauthorized: Must provide an API key or an Authorization bearer token",
        );
      }
      if (!timingSafeEqual(digest(given), expected))
        return sendError(reply, 401, "Unauthorized: Invalid API key");
    });
  }

  app.setErrorHandler((error, request, reply) => {
    const fastifyError = error as { code?: string; statusCode?: number; message: string };
    if (fastifyError.code?.startsWith("FST_ERR_CTP_")) {
      return sendError(reply, fastifyError.statusCode ?? 400, describeParserError(fastifyError, bodyLimit));
    }
    if (error instanceof SyntaxError)
      return sendError(reply, 400, `Json deserialize error: ${error.message}`);
    const { statusCode, message } = toHttpError(error);
    if (statusCode >= 500) request.log.error({ err: error }, "serve-qdrant request failed");
    return sendError(reply, statusCode, message);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      404,
      `Not found: no endpoint ${request.method} ${request.url.split("?")[0]} in planvec serve-qdrant`,
    ),
  );

  app.get("/", async () => ROOT_INFO);
  for (const probe of ["/healthz", "/livez"]) {
    app.get(probe, async (_request, reply) => reply.type("text/plain").send("healthz check passed"));
  }
  app.get("/readyz", async (_request, reply) => reply.type("text/plain").send("all shards are ready"));

  for (const route of QDRANT_ROUTES) {
    // Compile the validator now (about 0.5 s for all, once per process) rather than on the
    // first request of each operation.
    if (route.hasBody) requestBodyValidator(route.operationId);
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        checkQueryParameters(request.query as Record<string, unknown>);
        const body = route.hasBody ? validateBody(route.operationId, request.body) : undefined;
        const result = await route.handler({ service, params: routeParams(request), body });
        return sendResult(reply, result);
      },
    });
  }
};

export interface BuildAppOptions extends QdrantCompatPluginOptions {
  /** Fastify request logging (off by default: the CLI prints one line per start). */
  logger?: boolean;
}

/** A Fastify instance serving the Qdrant REST subset at its root. */
export async function buildQdrantCompatApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Clients (qdrant-client, the JS client) keep connections open between calls.
    keepAliveTimeout: 65_000,
    // Collection names may hold characters Qdrant allows in paths.
    routerOptions: { maxParamLength: 512 },
  });
  await app.register(qdrantCompatPlugin, options);
  return app;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers["api-key"];
  if (typeof header === "string") return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === "string" && /^bearer\s+/i.test(authorization)) {
    return authorization.replace(/^bearer\s+/i, "");
  }
  return undefined;
}

function describeParserError(error: { code?: string; message: string }, bodyLimit: number): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `Payload error: request body is larger than the ${Math.round(bodyLimit / 1024 / 1024)} MiB limit (serve-qdrant --max-request-size-mb); split large upserts into batches`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return `Bad request: unsupported content type; send JSON with \`Content-Type: application/json\``;
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return `Json deserialize error: ${error.message}`;
    default:
      return `Bad request: ${error.message}`;
  }
}
