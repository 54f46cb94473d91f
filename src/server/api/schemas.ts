/** JSON Schemas of the REST API: validation by Fastify (Ajv) and the OpenAPI 3.1 document from the same objects. */

export const errorSchema = {
  $id: "ApiError",
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        requestId: { type: "string" },
        details: {
          type: "array",
          items: {
            type: "object",
            properties: { path: { type: "string" }, message: { type: "string" } },
            required: ["path", "message"],
          },
        },
      },
      required: ["code", "message"],
    },
  },
  required: ["error"],
} as const;

const errorRef = { $ref: "ApiError#" } as const;
/** Error responses every authenticated route can give. */
export const authErrors = { 400: errorRef, 401: errorRef, 403: errorRef, 429: errorRef } as const;
export const notFound = { 404: errorRef } as const;
/** Routes with a request body can also answer 413 (over `server.bodyLimitBytes`) and 415. */
export const bodyErrors = { 413: errorRef, 415: errorRef } as const;

const anyObject = { type: "object", additionalProperties: true } as const;

export const managerNameParams = {
  type: "object",
  properties: { name: { type: "string", pattern: "^[a-z][a-z0-9-]{0,63}$" } },
  required: ["name"],
} as const;

export const actionParams = {
  type: "object",
  properties: {
    name: { type: "string", pattern: "^[a-z][a-z0-9-]{0,63}$" },
    action: { type: "string", pattern: "^[a-z][a-z0-9-]{0,63}$" },
  },
  required: ["name", "action"],
} as const;

const collectionName = {
  type: "string",
  pattern: "^[A-Za-z0-9_.-]{1,255}$",
  default: "roadmap_tasks",
} as const;
const vector = { type: "array", items: { type: "number" }, minItems: 1, maxItems: 4096 } as const;
const filter = {
  type: "object",
  additionalProperties: true,
  description: "Qdrant filter (must / should / must_not)",
} as const;

export const vectorSearchBody = {
  type: "object",
  properties: {
    collection: collectionName,
    vector,
    text: { type: "string", minLength: 1, maxLength: 8192 },
    filter,
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 10 },
    scoreThreshold: { type: "number" },
    withPayload: { type: "boolean", default: true },
  },
  oneOf: [{ required: ["vector"] }, { required: ["text"] }],
  additionalProperties: false,
} as const;

export const vectorSearchResponse = {
  type: "object",
  properties: {
    collection: { type: "string" },
    hits: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { anyOf: [{ type: "integer" }, { type: "string" }] },
          score: { type: "number" },
          payload: anyObject,
        },
        required: ["id", "score"],
      },
    },
  },
  required: ["collection", "hits"],
} as const;

export const upsertBody = {
  type: "object",
  properties: {
    collection: { ...collectionName, default: undefined },
    distance: { type: "string", enum: ["Cosine", "Dot", "Euclid"], default: "Cosine" },
    points: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      items: {
        type: "object",
        properties: {
          id: {
            anyOf: [
              { type: "integer", minimum: 0 },
              { type: "string", format: "uuid" },
            ],
          },
          vector,
          payload: anyObject,
        },
        required: ["id", "vector"],
        additionalProperties: false,
      },
    },
  },
  required: ["collection", "points"],
  additionalProperties: false,
} as const;

export const configKeyParams = {
  type: "object",
  properties: { key: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_.]{0,127}$" } },
  required: ["key"],
} as const;

export const importBody = {
  type: "object",
  properties: {
    source: {
      type: "string",
      minLength: 1,
      description: "A file on the server, or qdrant:URL / http(s)://HOST/collections/NAME",
    },
    collection: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,255}$" },
    format: { type: "string" },
    dryRun: { type: "boolean", default: false },
    batchSize: { type: "integer", minimum: 1, maximum: 10000 },
  },
  required: ["source", "collection"],
  additionalProperties: false,
} as const;

export const jobParams = {
  type: "object",
  properties: { id: { type: "string", pattern: "^[0-9a-f-]{36}$" } },
  required: ["id"],
} as const;

export const duplicatesQuery = {
  type: "object",
  properties: { threshold: { type: "number", minimum: 0.5, maximum: 1 } },
  additionalProperties: false,
} as const;

export const plansQuery = {
  type: "object",
  properties: {
    file: { type: "string", maxLength: 512, description: "Only plans whose path contains this text" },
  },
  additionalProperties: false,
} as const;

export const healthResponse = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["ok", "degraded", "down"] },
    managers: anyObject,
  },
  required: ["status"],
} as const;

export { anyObject, errorRef };
