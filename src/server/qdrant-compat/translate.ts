/**
 * Pure translations between Qdrant's REST shapes and the store contract: ids, vectors, payload
 * selectors, filters and output records. No I/O here, so every rule is testable on its own.
 */
import {
  type Condition,
  type Filter,
  normalizePointId,
  type PointId,
  type PointSelector,
  type ScoredPoint,
  type StoredPoint,
  StoreError,
  type WithPayload,
} from "../../store/contract.js";
import { badRequest, unsupported, wrongInput } from "./errors.js";

/** Qdrant's `with_payload` (bool, list of keys, `{include}` or `{exclude}`). */
export type WithPayloadInterface = boolean | string[] | { include: string[] } | { exclude: string[] } | null;

/** What to ask the store for, and which keys to drop afterwards (`exclude` has no store equivalent). */
export interface PayloadSelection {
  withPayload: WithPayload;
  exclude: string[] | null;
}

export function payloadSelection(
  value: WithPayloadInterface | undefined,
  fallback: boolean,
): PayloadSelection {
  if (value === undefined || value === null) return { withPayload: fallback, exclude: null };
  if (typeof value === "boolean" || Array.isArray(value)) return { withPayload: value, exclude: null };
  if ("include" in value) return { withPayload: value.include, exclude: null };
  return { withPayload: true, exclude: value.exclude };
}

/** Qdrant's `with_vector`: a boolean, or vector names where `""` is the unnamed vector. */
export function vectorSelection(value: boolean | string[] | null | undefined, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  return value.includes("");
}

/** Parse an id from a URL path segment: digits are an integer id, anything else must be a UUID. */
export function parsePathPointId(text: string): PointId {
  const candidate: unknown = /^\d+$/.test(text) ? Number(text) : text;
  return parsePointId(candidate, "path id");
}

/** Normalise one id from a request, answering 400 with Qdrant's wording when it is invalid. */
export function parsePointId(value: unknown, where = "id"): PointId {
  try {
    return normalizePointId(value, "serve-qdrant.id");
  } catch (error) {
    if (error instanceof StoreError) {
      throw wrongInput(
        `${where} ${JSON.stringify(value)} is not a valid point id: use an unsigned integer (≤ 2^53-1) or a UUID`,
      );
    }
    throw error;
  }
}

export function parsePointIds(values: unknown[], where = "points"): PointId[] {
  return values.map((value, index) => parsePointId(value, `${where}[${index}]`));
}

/**
 * A dense vector for a collection of `dims` dimensions, or a 400 naming what is wrong:
 * named, sparse and multi-vectors are refused (the store has one unnamed dense vector),
 * and so are non-finite values (`1e999` parses to Infinity).
 */
export function parseDenseVector(value: unknown, dims: number, where: string): number[] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => Array.isArray(item)))
      throw unsupported(`${where}: multivectors`);
    if (value.some((item) => Array.isArray(item)))
      throw wrongInput(`${where}: a vector is a flat list of numbers`);
    if (value.length !== dims) {
      throw wrongInput(`Vector dimension error: expected dim: ${dims}, got ${value.length} (${where})`);
    }
    for (let i = 0; i < value.length; i++) {
      const x = value[i];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw wrongInput(
          `${where}[${i}] is ${JSON.stringify(x) ?? String(x)}; vector values must be finite numbers`,
        );
      }
    }
    return value as number[];
  }
  if (value !== null && typeof value === "object") {
    if ("indices" in value) throw unsupported(`${where}: sparse vectors`);
    // Document / Image / InferenceObject all name the `model` that should embed them.
    if ("model" in value) throw unsupported(`${where}: inference objects`);
    const keys = Object.keys(value);
    // `{"": [...]}` is Qdrant's explicit spelling of the unnamed vector.
    if (keys.length === 1 && keys[0] === "")
      return parseDenseVector((value as Record<string, unknown>)[""], dims, where);
    throw unsupported(`${where}: named vectors (${keys.map((k) => `\`${k}\``).join(", ")})`);
  }
  throw wrongInput(`${where}: expected a list of ${dims} numbers`);
}

/** Refuse Qdrant filter features the store contract does not have, with the path of the offending part. */
export function checkFilter(filter: Filter | null | undefined, where = "filter"): Filter | null {
  if (filter === null || filter === undefined) return null;
  for (const clause of ["must", "should", "must_not"] as const) {
    const value = filter[clause];
    if (value === null || value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((condition, index) => {
      checkCondition(condition, `${where}.${clause}${Array.isArray(value) ? `[${index}]` : ""}`);
    });
  }
  if (filter.min_should) {
    filter.min_should.conditions.forEach((condition, index) => {
      checkCondition(condition, `${where}.min_should.conditions[${index}]`);
    });
  }
  return filter;
}

function checkCondition(condition: Condition, where: string): void {
  const c = condition as Record<string, unknown>;
  if ("key" in c) {
    for (const geo of ["geo_bounding_box", "geo_radius", "geo_polygon"]) {
      if (c[geo] !== null && c[geo] !== undefined) throw unsupported(`${where}: geo condition \`${geo}\``);
    }
    const match = c.match as Record<string, unknown> | null | undefined;
    if (match) {
      for (const kind of ["text_any", "phrase", "prefix"]) {
        if (kind in match) throw unsupported(`${where}: match \`${kind}\``);
      }
    }
    const range = c.range as Record<string, unknown> | null | undefined;
    if (range && Object.values(range).some((bound) => typeof bound === "string")) {
      throw unsupported(`${where}: datetime range`);
    }
    return;
  }
  if ("has_vector" in c) throw unsupported(`${where}: has_vector condition`);
  if ("nested" in c) {
    const nested = c.nested as { filter: Filter };
    checkFilter(nested.filter, `${where}.nested.filter`);
    return;
  }
  if ("has_id" in c) {
    parsePointIds(c.has_id as unknown[], `${where}.has_id`);
    return;
  }
  if ("is_empty" in c || "is_null" in c) return;
  checkFilter(condition as Filter, where);
}

/** Qdrant's points selector (`{points}` or `{filter}`) as the contract's selector. */
export function parseSelector(body: {
  points?: unknown[] | null;
  filter?: Filter | null;
  shard_key?: unknown;
}): PointSelector {
  rejectShardKey(body.shard_key);
  const hasPoints = body.points !== undefined && body.points !== null;
  const hasFilter = body.filter !== undefined && body.filter !== null;
  if (hasPoints && hasFilter) throw badRequest("give either `points` (ids) or `filter`, not both");
  if (hasPoints) return parsePointIds(body.points as unknown[]);
  if (hasFilter) return { filter: checkFilter(body.filter) ?? {} };
  throw badRequest("either a list of point ids (`points`) or a `filter` must be provided");
}

export function rejectShardKey(shardKey: unknown): void {
  if (shardKey !== undefined && shardKey !== null) throw unsupported("shard keys (`shard_key`)");
}

/** Remove dot-path keys from a payload copy (for `with_payload: {exclude}`). */
export function excludeKeys(payload: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const copy = structuredClone(payload);
  for (const key of keys) {
    const parts = key.split(".");
    let node: unknown = copy;
    for (let i = 0; i < parts.length - 1 && node !== null && typeof node === "object"; i++) {
      node = (node as Record<string, unknown>)[parts[i] as string];
    }
    if (node !== null && typeof node === "object")
      delete (node as Record<string, unknown>)[parts.at(-1) as string];
  }
  return copy;
}

/** Qdrant `Record`: payload and vector are `null` when not requested. */
export function toRecord(point: StoredPoint, selection: PayloadSelection, withVector: boolean) {
  return {
    id: point.id,
    payload: outputPayload(point, selection),
    vector: withVector ? (point.vector ?? null) : null,
  };
}

/** Qdrant `ScoredPoint`; `version` is required by the spec and the store has no versions, so 0. */
export function toScoredPoint(point: ScoredPoint, selection: PayloadSelection, withVector: boolean) {
  return {
    id: point.id,
    version: 0,
    score: point.score,
    payload: outputPayload(point, selection),
    vector: withVector ? (point.vector ?? null) : null,
  };
}

function outputPayload(point: StoredPoint, selection: PayloadSelection): Record<string, unknown> | null {
  if (selection.withPayload === false) return null;
  const payload = point.payload ?? {};
  return selection.exclude ? excludeKeys(payload, selection.exclude) : payload;
}
