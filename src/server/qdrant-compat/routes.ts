/**
 * The Qdrant REST routes we serve: one table row per operation of the spec subset, each
 * parsing its input, calling one {@link QdrantCompatService} method and answering in Qdrant's
 * envelope `{result, status: "ok", time}`.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { QdrantCompatError, validationError } from "./errors.js";
import type {
  CountBody,
  CreateCollectionBody,
  DeletePayloadBody,
  QdrantCompatService,
  QueryBody,
  RetrieveBody,
  ScrollBody,
  SelectorBody,
  SetPayloadBody,
  UpdateOperation,
  UpsertBody,
} from "./service.js";
import { QDRANT_API_VERSION, requestBodyValidator } from "./spec.js";
import { parsePathPointId } from "./translate.js";

export interface RouteContext {
  service: QdrantCompatService;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  /** The request body, validated against the operation's schema (`{}` when absent). */
  body: unknown;
}

export interface QdrantRoute {
  method: "GET" | "PUT" | "POST" | "DELETE";
  url: string;
  /** operationId in Qdrant's spec; the body is validated against its request schema. */
  operationId: string;
  hasBody: boolean;
  handler(context: RouteContext): Promise<unknown>;
}

const c = (ctx: RouteContext) => ctx.params.collection_name ?? "";

/** Every JSON operation served, with the spec's paths (`{x}` written `:x` for the router). */
export const QDRANT_ROUTES: QdrantRoute[] = [
  {
    method: "GET",
    url: "/collections",
    operationId: "get_collections",
    hasBody: false,
    handler: (x) => x.service.listCollections(),
  },
  {
    method: "GET",
    url: "/collections/:collection_name",
    operationId: "get_collection",
    hasBody: false,
    handler: (x) => x.service.collectionInfo(c(x)),
  },
  {
    method: "PUT",
    url: "/collections/:collection_name",
    operationId: "create_collection",
    hasBody: true,
    handler: (x) => x.service.createCollection(c(x), x.body as CreateCollectionBody),
  },
  {
    method: "DELETE",
    url: "/collections/:collection_name",
    operationId: "delete_collection",
    hasBody: false,
    handler: (x) => x.service.deleteCollection(c(x)),
  },
  {
    method: "GET",
    url: "/collections/:collection_name/exists",
    operationId: "collection_exists",
    hasBody: false,
    handler: (x) => x.service.collectionExists(c(x)),
  },
  {
    method: "PUT",
    url: "/collections/:collection_name/index",
    operationId: "create_field_index",
    hasBody: true,
    handler: (x) => x.service.createFieldIndex(c(x), x.body as { field_name: string }),
  },
  {
    method: "DELETE",
    url: "/collections/:collection_name/index/:field_name",
    operationId: "delete_field_index",
    hasBody: false,
    handler: (x) => x.service.deleteFieldIndex(c(x), x.params.field_name ?? ""),
  },
  {
    method: "GET",
    url: "/collections/:collection_name/points/:id",
    operationId: "get_point",
    hasBody: false,
    handler: (x) => x.service.getPoint(c(x), parsePathPointId(x.params.id ?? "")),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points",
    operationId: "get_points",
    hasBody: true,
    handler: (x) => x.service.retrieve(c(x), x.body as RetrieveBody),
  },
  {
    method: "PUT",
    url: "/collections/:collection_name/points",
    operationId: "upsert_points",
    hasBody: true,
    handler: (x) => x.service.upsert(c(x), x.body as UpsertBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/delete",
    operationId: "delete_points",
    hasBody: true,
    handler: (x) => x.service.deletePoints(c(x), x.body as SelectorBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/payload",
    operationId: "set_payload",
    hasBody: true,
    handler: (x) => x.service.setPayload(c(x), x.body as SetPayloadBody, false),
  },
  {
    method: "PUT",
    url: "/collections/:collection_name/points/payload",
    operationId: "overwrite_payload",
    hasBody: true,
    handler: (x) => x.service.setPayload(c(x), x.body as SetPayloadBody, true),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/payload/delete",
    operationId: "delete_payload",
    hasBody: true,
    handler: (x) => x.service.deletePayload(c(x), x.body as DeletePayloadBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/payload/clear",
    operationId: "clear_payload",
    hasBody: true,
    handler: (x) => x.service.clearPayload(c(x), x.body as SelectorBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/batch",
    operationId: "batch_update",
    hasBody: true,
    handler: (x) => x.service.batch(c(x), (x.body as { operations: UpdateOperation[] }).operations),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/scroll",
    operationId: "scroll_points",
    hasBody: true,
    handler: (x) => x.service.scroll(c(x), x.body as ScrollBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/count",
    operationId: "count_points",
    hasBody: true,
    handler: (x) => x.service.count(c(x), x.body as CountBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/query",
    operationId: "query_points",
    hasBody: true,
    handler: (x) => x.service.query(c(x), x.body as QueryBody),
  },
  {
    method: "POST",
    url: "/collections/:collection_name/points/query/batch",
    operationId: "query_batch_points",
    hasBody: true,
    handler: async (x) => {
      const { searches } = x.body as { searches: QueryBody[] };
      const results = [];
      for (const search of searches) results.push(await x.service.query(c(x), search));
      return results;
    },
  },
];

/** Version document of `GET /`; the JS client compares `version` with its own at start-up. */
export const ROOT_INFO = {
  title: "qdrant - vector search engine (planvec serve-qdrant)",
  version: QDRANT_API_VERSION,
  commit: null,
};

/** When each request arrived (set by the plugin's first onRequest hook). */
const startedAt = new WeakMap<object, number>();

export function markStart(request: FastifyRequest): void {
  startedAt.set(request, performance.now());
}

/**
 * `time` of the envelope: seconds spent on the request, as Qdrant reports it. (Fastify's
 * `reply.elapsedTime` is only kept when request logging or onResponse hooks are on.)
 */
export function elapsedSeconds(reply: FastifyReply): number {
  const started = startedAt.get(reply.request);
  return started === undefined ? 0 : (performance.now() - started) / 1000;
}

/** Send Qdrant's success envelope. */
export function sendResult(reply: FastifyReply, result: unknown): FastifyReply {
  return reply.send({ result, status: "ok", time: elapsedSeconds(reply) });
}

/** Send Qdrant's error shape `{status: {error}, time}`. */
export function sendError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).send({ status: { error: message }, time: elapsedSeconds(reply) });
}

const BOOLEAN = /^(true|false)$/;
const POSITIVE_INT = /^[1-9]\d*$/;
const QUERY_RULES: Record<string, (value: string) => boolean> = {
  wait: (v) => BOOLEAN.test(v),
  timeout: (v) => POSITIVE_INT.test(v),
  ordering: (v) => v === "weak" || v === "medium" || v === "strong",
  consistency: (v) => POSITIVE_INT.test(v) || v === "majority" || v === "quorum" || v === "all",
};

/**
 * Check the query parameters Qdrant defines. All writes are durable when answered, so `wait`
 * and `ordering` only need to be well-formed; `timeout` is accepted (operations do not queue).
 */
export function checkQueryParameters(query: Record<string, unknown>): void {
  for (const [name, rule] of Object.entries(QUERY_RULES)) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || !rule(value)) {
      throw new QdrantCompatError(
        400,
        "bad_request",
        `Query deserialize error: invalid value ${JSON.stringify(value)} for \`${name}\``,
      );
    }
  }
}

/** Validate a body against the operation's (strict) request schema: 422 naming the field. */
export function validateBody(operationId: string, body: unknown): unknown {
  const value = body === undefined || body === null ? {} : body;
  const validate = requestBodyValidator(operationId);
  if (!validate(value)) throw validationError("JSON body", validate.describe());
  return value;
}

export function routeParams(request: FastifyRequest): Record<string, string> {
  return (request.params ?? {}) as Record<string, string>;
}
