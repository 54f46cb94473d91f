import { describe, expect, it } from "vitest";
import {
  normalizeOpenApiSchema,
  qdrantOpenApiSubset,
  requestBodyValidator,
  responseValidator,
} from "../../../src/server/qdrant-compat/spec.js";

describe("OpenAPI schema normalisation", () => {
  it("turns OpenAPI nullable into JSON Schema", () => {
    expect(normalizeOpenApiSchema({ nullable: true }, false)).toEqual({ type: "null" });
    expect(normalizeOpenApiSchema({ $ref: "#/x", nullable: true, description: "d" }, false)).toEqual({
      anyOf: [{ $ref: "#/x", description: "d" }, { type: "null" }],
    });
    // With a type, ajv understands `nullable` itself.
    expect(normalizeOpenApiSchema({ type: "integer", nullable: true }, false)).toEqual({
      type: "integer",
      nullable: true,
    });
  });

  it("makes objects that list properties strict only when asked", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(normalizeOpenApiSchema(schema, true)).toMatchObject({ additionalProperties: false });
    expect(normalizeOpenApiSchema(schema, false)).not.toHaveProperty("additionalProperties");
    // A property literally named `example` or `default` is a schema, not data.
    const named = { type: "object", properties: { default: { nullable: true } } };
    expect(normalizeOpenApiSchema(named, false)).toEqual({
      type: "object",
      properties: { default: { type: "null" } },
    });
  });
});

describe("validators built from Qdrant's spec", () => {
  it("the served subset holds exactly the implemented operations", () => {
    const ids = Object.values(qdrantOpenApiSubset.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(ids).toHaveLength(24);
    expect(ids).toContain("query_points");
    expect(ids).not.toContain("search_points");
  });

  it("request validators refuse unknown fields and name them", () => {
    const validate = requestBodyValidator("upsert_points");
    expect(validate({ points: [{ id: 1, vector: [1, 2] }] })).toBe(true);
    expect(validate({ points: [{ id: 1, vector: [1, 2], extra: 1 }] })).toBe(false);
    expect(validate.describe()).toBe("points.0: unknown field `extra`");
    expect(validate({ points: [{ id: -1, vector: [1] }] })).toBe(false);
  });

  it("response validators catch a wrong answer", () => {
    const validate = responseValidator("query_points", 200);
    expect(validate).toBeDefined();
    const good = {
      result: { points: [{ id: 1, version: 0, score: 0.5, payload: null, vector: null }] },
      status: "ok",
      time: 0,
    };
    expect(validate?.(good)).toBe(true);
    const noVersion = { result: { points: [{ id: 1, score: 0.5 }] }, status: "ok", time: 0 };
    expect(validate?.(noVersion)).toBe(false);
    const badId = { result: { points: [{ id: "not-a-uuid", version: 0, score: 1 }] }, status: "ok", time: 0 };
    expect(validate?.(badId)).toBe(false);
    const error = responseValidator("query_points", 404);
    expect(error?.({ status: { error: "Not found" }, time: 0.1 })).toBe(true);
    expect(error?.({ status: { error: 5 }, time: 0.1 })).toBe(false);
  });
});
