/**
 * Qdrant's official OpenAPI spec (v1.19.0, the subset we serve, extracted by
 * `scripts/qdrant-compat/extract-spec.mjs`) turned into request validators.
 *
 * Request bodies are validated against the spec's own component schemas, made strict: every
 * object that lists its properties refuses unknown ones, so a typo such as `"vectorz"` is a
 * 422 naming the field instead of being silently ignored. The same normalised schemas, without
 * the strictness, validate our responses in the tests.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import spec from "./openapi-subset.json" with { type: "json" };

/** The OpenAPI document of the operations `planvec serve-qdrant` implements. */
export const qdrantOpenApiSubset = spec as unknown as OpenApiDocument;

/** The Qdrant version whose REST API we follow (reported by `GET /`). */
export const QDRANT_API_VERSION = "1.19.0";

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown> };
}

export interface OpenApiOperation {
  operationId: string;
  requestBody?: { content: { "application/json"?: { schema: unknown } } };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const DOC_KEYS = new Set(["description", "example", "default", "deprecated", "title", "format"]);

/**
 * Rewrite OpenAPI 3.0 `nullable` into JSON Schema that ajv understands: `{nullable: true}`
 * alone (the spec's way to say "or null" inside `anyOf`) becomes `{type: "null"}`, and a
 * nullable schema without `type` becomes `anyOf: [schema, null]`. With `strict`, objects that
 * list `properties` without saying otherwise get `additionalProperties: false`.
 */
export function normalizeOpenApiSchema(node: Json, strict: boolean): Json {
  if (Array.isArray(node)) return node.map((item) => normalizeOpenApiSchema(item, strict));
  if (node === null || typeof node !== "object") return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    // Literal data (examples, defaults, enum values) is copied as is.
    if (key === "example" || key === "default" || key === "enum") out[key] = value;
    else if (key === "properties" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, normalizeOpenApiSchema(schema, strict)]),
      );
    } else out[key] = normalizeOpenApiSchema(value, strict);
  }
  if (strict && out.properties !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    const meaningful = Object.keys(out).filter((key) => !DOC_KEYS.has(key));
    if (meaningful.length === 0) return { type: "null" };
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

const UUID_ANY_FORM =
  /^(?:urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/** An ajv instance that knows the spec's schemas under `#/components/schemas/…`. */
export function createSpecAjv(strict: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    // All errors so an unknown field is reported even when a required one is also missing.
    allErrors: true,
    // The spec's numeric formats (uint64, float, …) are documentation; bounds are in `minimum`.
    formats: {
      uuid: UUID_ANY_FORM,
      "date-time": true,
      uint: true,
      uint8: true,
      uint32: true,
      uint64: true,
      int: true,
      int32: true,
      int64: true,
      float: true,
      double: true,
    },
  });
  const components = normalizeOpenApiSchema(qdrantOpenApiSubset.components as unknown as Json, strict);
  ajv.addSchema({ $id: "qdrant", components } as object);
  return ajv;
}

/** Replace `#/components/…` references by references into the `qdrant` schema registered above. */
function rebase(node: Json): Json {
  if (Array.isArray(node)) return node.map(rebase);
  if (node === null || typeof node !== "object") return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === "$ref" && typeof value === "string" ? `qdrant${value}` : rebase(value);
  }
  return out;
}

/** Find an implemented operation of the subset by its operationId. */
export function findOperation(operationId: string): { path: string; method: string; op: OpenApiOperation } {
  for (const [path, item] of Object.entries(qdrantOpenApiSubset.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op.operationId === operationId) return { path, method, op };
    }
  }
  throw new Error(`operation ${operationId} is not in the served Qdrant subset`);
}

/** A compiled validator plus a one-line description of its first error. */
export interface BodyValidator {
  (body: unknown): boolean;
  describe(): string;
}

let requestAjv: Ajv | undefined;
const validators = new Map<string, BodyValidator>();

/** Strict validator of the JSON request body of `operationId`, compiled once. */
export function requestBodyValidator(operationId: string): BodyValidator {
  const cached = validators.get(operationId);
  if (cached) return cached;
  requestAjv ??= createSpecAjv(true);
  const { op } = findOperation(operationId);
  const schema = op.requestBody?.content["application/json"]?.schema;
  if (schema === undefined) throw new Error(`operation ${operationId} has no JSON request body`);
  const compiled = requestAjv.compile(rebase(normalizeOpenApiSchema(schema as Json, true)) as object);
  const validator = ((body: unknown) => compiled(body)) as BodyValidator;
  validator.describe = () => describeAjvErrors(compiled);
  validators.set(operationId, validator);
  return validator;
}

/**
 * Ajv reports every failed `anyOf` branch; the most useful error for a person is the deepest
 * one (the field that is actually wrong), so report that, with its JSON path.
 */
export function describeAjvErrors(validate: ValidateFunction): string {
  const errors: ErrorObject[] = validate.errors ?? [];
  if (errors.length === 0) return "invalid body";
  const deepest = [...errors].sort(
    (a, b) => b.instancePath.split("/").length - a.instancePath.split("/").length,
  );
  const unknown = deepest.find((e) => e.keyword === "additionalProperties");
  const chosen = unknown ?? deepest[0];
  if (!chosen) return "invalid body";
  const where = chosen.instancePath === "" ? "body" : chosen.instancePath.slice(1).replaceAll("/", ".");
  if (chosen.keyword === "additionalProperties") {
    const name = (chosen.params as { additionalProperty?: string }).additionalProperty;
    return `${where}: unknown field \`${name}\``;
  }
  return `${where}: ${chosen.message ?? "invalid"}`;
}

let responseAjv: Ajv | undefined;

/**
 * Validator of the 200 (or given status) JSON response of `operationId`, as the spec states it
 * (not strict). Used by the tests to check every response we send.
 */
export function responseValidator(operationId: string, status: number): BodyValidator | undefined {
  responseAjv ??= createSpecAjv(false);
  const { op } = findOperation(operationId);
  const statusKey = String(status);
  const entry =
    op.responses[statusKey] ?? op.responses[`${statusKey[0]}XX`] ?? op.responses.default ?? undefined;
  const schema = entry?.content?.["application/json"]?.schema;
  if (schema === undefined) return undefined;
  const compiled = responseAjv.compile(rebase(normalizeOpenApiSchema(schema as Json, false)) as object);
  const validator = ((body: unknown) => compiled(body)) as BodyValidator;
  validator.describe = () => describeAjvErrors(compiled);
  return validator;
}
