/**
 * The vector-store contract every store implements (embedded SQLite + HNSW, Qdrant).
 *
 * Everything here is data and types, with no dependency on a particular store, so the
 * pipeline, the Qdrant-compatible server and the migration toolkit can all program against
 * it. Semantics follow Qdrant's REST API (point ids, filters, distances) so a collection
 * behaves the same whichever store holds it.
 *
 * Stability: this module is depended on by other areas. Changes must stay backward
 * compatible (add optional fields, never rename or remove).
 */
import { createHash } from "node:crypto";
import { PlanvecError } from "../core/errors.js";

// ---------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------

/**
 * A point id, Qdrant's rule: an unsigned integer (0 ≤ id ≤ Number.MAX_SAFE_INTEGER here,
 * since JavaScript numbers lose precision beyond) or a UUID string. UUIDs are normalised to
 * lowercase hyphenated form by {@link normalizePointId}; stores always return that form.
 */
export type PointId = number | string;

const UUID_HYPHENATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_SIMPLE = /^[0-9a-f]{32}$/i;
const UUID_BRACED = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` is a valid point id (unsigned safe integer or UUID in any form Qdrant accepts). */
export function isPointId(id: unknown): id is PointId {
  if (typeof id === "number") return Number.isSafeInteger(id) && id >= 0;
  if (typeof id === "string") {
    return UUID_HYPHENATED.test(id) || UUID_SIMPLE.test(id) || UUID_BRACED.test(id) || UUID_URN.test(id);
  }
  return false;
}

/**
 * Validate and normalise a point id: integers unchanged, UUIDs (hyphenated, simple 32-hex,
 * braced or `urn:uuid:`) to lowercase hyphenated. Throws `StoreError` code `invalid_id`.
 */
export function normalizePointId(id: unknown, operation = "store.id"): PointId {
  if (typeof id === "number") {
    if (Number.isSafeInteger(id) && id >= 0) return id;
  } else if (typeof id === "string" && isPointId(id)) {
    const hex = id
      .toLowerCase()
      .replace(/^urn:uuid:/, "")
      .replace(/[{}-]/g, "");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  throw new StoreError(
    operation,
    "invalid_id",
    `invalid point id ${JSON.stringify(id)}: use an unsigned integer or a UUID string`,
  );
}

/** UUID namespace of planvec's deterministic ids: UUIDv5(URL namespace, "https://planvec.dev/ns/point"). */
export const PLANVEC_ID_NAMESPACE = uuidV5(
  "https://planvec.dev/ns/point",
  "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
);

/**
 * Deterministic point id for a record made from a source: UUIDv5 of `key` in
 * {@link PLANVEC_ID_NAMESPACE} (or in `namespace`). Re-indexing the same source chunk key
 * yields the same id, so upserts replace instead of duplicating.
 */
export function uuidV5ForKey(key: string, namespace: string = PLANVEC_ID_NAMESPACE): string {
  return uuidV5(key, namespace);
}

function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new StoreError("store.id", "invalid_id", `invalid UUID namespace ${namespace}`);
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------------------
// Points and collections
// ---------------------------------------------------------------------------------------

/** Similarity measure of a collection, Qdrant's names. Scores: Cosine/Dot higher is closer, Euclid lower is closer. */
export type Distance = "Cosine" | "Dot" | "Euclid";

/** Arbitrary JSON object attached to a point. */
export type Payload = Record<string, unknown>;

/** A vector as given by callers; stores keep float32. */
export type Vector = number[] | Float32Array;

/** A point to write. */
export interface Point {
  id: PointId;
  vector: Vector;
  payload?: Payload | null;
}

/** A point read back (get / scroll). `payload` and `vector` present when requested. */
export interface StoredPoint {
  id: PointId;
  payload?: Payload;
  vector?: number[];
}

/** A search hit. */
export interface ScoredPoint extends StoredPoint {
  /** Cosine/Dot: similarity (higher is closer). Euclid: distance (lower is closer), like Qdrant. */
  score: number;
}

/** What a collection is created with. */
export interface CollectionSpec {
  /** Vector dimensionality, ≥ 1. */
  dims: number;
  distance: Distance;
  /**
   * Free JSON metadata kept with the collection (Qdrant ≥ 1.16 `metadata`), e.g.
   * `{ modelId: "bge-small-en-v1.5" }`. Used for the portable export header.
   */
  metadata?: Payload;
}

/** Collection status and size. */
export interface CollectionInfo {
  name: string;
  dims: number;
  distance: Distance;
  /** Exact number of points. */
  pointCount: number;
  /** Points covered by the ANN index (the rest are served by exact scan); equals pointCount when fully indexed. */
  indexedCount?: number;
  /**
   * `green` nothing pending (a few recent points may still be outside the index, scanned
   * exactly: see indexedCount), `yellow` indexing in progress (searches still exact and complete).
   */
  status: "green" | "yellow" | "red";
  metadata?: Payload;
}

/** Which points an operation addresses: explicit ids or every point matching a filter. */
export type PointSelector = PointId[] | { filter: Filter };

// ---------------------------------------------------------------------------------------
// Filters (Qdrant semantics)
// ---------------------------------------------------------------------------------------

/** A scalar a `match.value` can equal: string, integer or boolean (as in Qdrant). */
export type MatchScalar = string | number | boolean;

export interface MatchValue {
  value: MatchScalar;
}
/** Matches when the value (or any element of an array value) is one of `any`. */
export interface MatchAny {
  any: string[] | number[];
}
/**
 * Matches when the value is none of `except`; for an array, when at least one element is not
 * in `except`. Like Qdrant, a missing field does not match (it has no value that is "not in").
 */
export interface MatchExcept {
  except: string[] | number[];
}
/** Full-text style match: the string value contains `text` (substring, case-sensitive). */
export interface MatchText {
  text: string;
}
export type Match = MatchValue | MatchAny | MatchExcept | MatchText;

/** Numeric range; every given bound must hold. Non-numbers never match. */
export interface RangeCondition {
  gt?: number | null;
  gte?: number | null;
  lt?: number | null;
  lte?: number | null;
}

/** Bounds on the number of values of a field (array length; a scalar counts as 1). */
export interface ValuesCount {
  gt?: number | null;
  gte?: number | null;
  lt?: number | null;
  lte?: number | null;
}

/**
 * A condition on one payload field. `key` is a dot path (`meta.owner`); `a[]` descends into
 * every element of array `a` (`tasks[].status`), and arrays at the leaf match if any element
 * matches. Exactly one of `match`, `range`, `values_count`, `is_empty`, `is_null` is given.
 */
export interface FieldCondition {
  key: string;
  match?: Match | null;
  range?: RangeCondition | null;
  values_count?: ValuesCount | null;
  /** Alternative form of {@link IsEmptyCondition}. */
  is_empty?: boolean | null;
  /** Alternative form of {@link IsNullCondition}. */
  is_null?: boolean | null;
}

/** True when the field is missing, null, or an empty array. */
export interface IsEmptyCondition {
  is_empty: { key: string };
}
/** True when the field exists and is null (or is an array containing null). */
export interface IsNullCondition {
  is_null: { key: string };
}
/** True when the point id is one of these. */
export interface HasIdCondition {
  has_id: PointId[];
}
/** True when at least one element of the array at `key` satisfies `filter` as a whole object. */
export interface NestedCondition {
  nested: { key: string; filter: Filter };
}

export type Condition =
  | FieldCondition
  | IsEmptyCondition
  | IsNullCondition
  | HasIdCondition
  | NestedCondition
  | Filter;

export interface MinShould {
  conditions: Condition[];
  /** At least this many of `conditions` must hold (≥ 1). */
  min_count: number;
}

/**
 * A boolean filter, Qdrant's semantics: every `must` holds, at least one `should` holds (when
 * `should` is non-empty), no `must_not` holds, and at least `min_should.min_count` of
 * `min_should.conditions` hold. An empty filter matches every point.
 */
export interface Filter {
  must?: Condition | Condition[] | null;
  should?: Condition | Condition[] | null;
  must_not?: Condition | Condition[] | null;
  min_should?: MinShould | null;
}

// ---------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------

/** `true`/`false`, or the list of payload keys (top-level or dot paths) to return. */
export type WithPayload = boolean | string[];

export interface SearchOptions {
  /** Number of hits to return, ≥ 1. Default 10. */
  limit?: number;
  /** Hits to skip before `limit` (pagination). Default 0. */
  offset?: number;
  filter?: Filter | null;
  /** Default true. */
  withPayload?: WithPayload;
  /** Default false. */
  withVector?: boolean;
  /** Cosine/Dot: only hits with score ≥ threshold; Euclid: only hits with distance ≤ threshold. */
  scoreThreshold?: number | null;
  /** Force an exact (brute-force) search, bypassing the ANN index. */
  exact?: boolean;
  /** HNSW search breadth override (ef); stores may ignore it. */
  hnswEf?: number;
}

export interface GetOptions {
  /** Default true. */
  withPayload?: WithPayload;
  /** Default false. */
  withVector?: boolean;
}

export interface ScrollOptions extends GetOptions {
  filter?: Filter | null;
  /** Start at this id (inclusive), i.e. the `nextCursor` of the previous page. */
  cursor?: PointId | null;
  /** Page size, default 10. */
  limit?: number;
}

/** A page of points in id order (integers before UUIDs, Qdrant's order). */
export interface ScrollPage {
  points: StoredPoint[];
  /** Id to pass as `cursor` for the next page; null when there is none. */
  nextCursor: PointId | null;
}

export interface UpsertOptions {
  /** Points per write batch (a transaction in the embedded store, a request for Qdrant). */
  batchSize?: number;
}

export interface UpsertResult {
  /** Number of points written (acknowledged and durable). */
  upserted: number;
}

export interface SetPayloadOptions {
  /** Set under this nested key (dot path) instead of the payload root. */
  key?: string;
}

/**
 * A vector store. All methods are async and throw {@link StoreError}.
 *
 * Guarantees every implementation gives (checked by the contract test suite):
 * - When `upsert` / `delete` / `setPayload` resolve, the change is durable and visible to
 *   every following read and search (no eventual consistency at this API).
 * - Upserting an existing id replaces its vector and payload.
 * - A vector of the wrong length fails with `dimension_mismatch` and writes nothing of that batch.
 * - Operations on a missing collection fail with `not_found`.
 */
export interface VectorStore {
  /** `embedded` or `qdrant`. */
  readonly kind: StoreKind;
  /** The store spec it was opened with, e.g. `embedded:/home/me/.planvec`. */
  readonly location: string;

  /**
   * Create the collection if missing; if it exists with the same dims and distance, return it
   * unchanged; otherwise fail with `dimension_mismatch` (dims) or `conflict` (distance).
   */
  ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo>;
  /** Delete a collection and all its points. Resolves false when it did not exist. */
  dropCollection(name: string): Promise<boolean>;
  /** Names of all collections, sorted. */
  listCollections(): Promise<string[]>;
  /** Size and status of a collection; `not_found` when missing. */
  collectionInfo(name: string): Promise<CollectionInfo>;

  /** Insert or replace points, in batches of `batchSize`. Accepts any iterable, including async ones. */
  upsert(
    collection: string,
    points: Iterable<Point> | AsyncIterable<Point>,
    options?: UpsertOptions,
  ): Promise<UpsertResult>;
  /** Points with these ids, in the order asked; missing ids are skipped. */
  get(collection: string, ids: PointId[], options?: GetOptions): Promise<StoredPoint[]>;
  /** Delete the selected points. Deleting missing ids is not an error. */
  delete(collection: string, selector: PointSelector): Promise<void>;
  /** Merge `payload` into the selected points' payloads (keys replaced, others kept). */
  setPayload(
    collection: string,
    payload: Payload,
    selector: PointSelector,
    options?: SetPayloadOptions,
  ): Promise<void>;
  /** Replace the selected points' whole payload. */
  overwritePayload(collection: string, payload: Payload, selector: PointSelector): Promise<void>;
  /** Remove these payload keys (dot paths) from the selected points. */
  deletePayloadKeys(collection: string, keys: string[], selector: PointSelector): Promise<void>;

  /** Nearest points to `vector`, best first. */
  search(collection: string, vector: Vector, options?: SearchOptions): Promise<ScoredPoint[]>;
  /** Points matching `filter` in id order, a page at a time. */
  scroll(collection: string, options?: ScrollOptions): Promise<ScrollPage>;
  /** Exact number of points matching `filter` (all points when absent). */
  count(collection: string, filter?: Filter | null): Promise<number>;

  /** Stream every point of a collection with vector and payload, in id order. */
  exportPoints(collection: string, options?: { batchSize?: number }): AsyncIterable<Required<StoredPoint>>;

  /** Release files, sockets and workers. The store is unusable afterwards. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/**
 * Stable error codes:
 * - `not_found`: collection (or point where one is required) does not exist
 * - `dimension_mismatch`: vector length differs from the collection's dims
 * - `invalid_filter`: malformed filter (message names the offending path)
 * - `invalid_id`: id is not an unsigned integer or UUID
 * - `invalid_argument`: other bad input (limit, collection name, vector values…)
 * - `conflict`: collection exists with a different configuration
 * - `unavailable`: the store cannot be reached / opened (network, lock, circuit open)
 * - `timeout`: the operation did not complete in time (outcome unknown for writes)
 * - `rejected`: the remote store refused the request (4xx other than the above), body in message
 * - `corrupt`: stored data failed an integrity check
 * - `closed`: the store was closed
 * - `internal`: anything else
 */
export type StoreErrorCode =
  | "not_found"
  | "dimension_mismatch"
  | "invalid_filter"
  | "invalid_id"
  | "invalid_argument"
  | "conflict"
  | "unavailable"
  | "timeout"
  | "rejected"
  | "corrupt"
  | "closed"
  | "internal";

/** Failure of a store operation. `operation` is e.g. `store.upsert`; `details` carries e.g. the Qdrant error body or HTTP status. */
export class StoreError extends PlanvecError {
  declare readonly code: StoreErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    operation: string,
    code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(operation, code, message, options);
    this.details = options?.details;
  }
}

// ---------------------------------------------------------------------------------------
// Store specs
// ---------------------------------------------------------------------------------------

export type StoreKind = "embedded" | "qdrant";

/** The default store: an embedded store in `./.planvec` (relative to the working directory). */
export const DEFAULT_STORE_SPEC = "embedded:./.planvec";

export type StoreSpec =
  | { kind: "embedded"; path: string }
  /** `url` null: take QDRANT_URL or QDRANT_HOST/QDRANT_PORT from the environment. */
  | { kind: "qdrant"; url: string | null };

/**
 * Parse `embedded:PATH` or `qdrant:URL` (`qdrant:` alone, or `qdrant:env`, reads the
 * environment). A bare `http(s)://` URL is taken as Qdrant and a bare path as embedded.
 * Throws `StoreError` `invalid_argument` on anything else.
 */
export function parseStoreSpec(spec: string = DEFAULT_STORE_SPEC): StoreSpec {
  const text = spec.trim();
  if (text.startsWith("embedded:")) {
    const path = text.slice("embedded:".length);
    if (path === "") throw badSpec(spec, "embedded: needs a directory, e.g. embedded:./.planvec");
    return { kind: "embedded", path };
  }
  if (text.startsWith("qdrant:")) {
    const url = text.slice("qdrant:".length);
    if (url === "" || url === "env") return { kind: "qdrant", url: null };
    if (!/^https?:\/\//.test(url))
      throw badSpec(spec, "qdrant: needs an http(s) URL, e.g. qdrant:http://localhost:6333");
    return { kind: "qdrant", url };
  }
  if (/^https?:\/\//.test(text)) return { kind: "qdrant", url: text };
  if (text !== "" && !/^[a-z]+:/i.test(text)) return { kind: "embedded", path: text };
  throw badSpec(spec, "use embedded:PATH or qdrant:URL");
}

function badSpec(spec: string, hint: string): StoreError {
  return new StoreError(
    "store.open",
    "invalid_argument",
    `invalid store spec ${JSON.stringify(spec)}: ${hint}`,
  );
}

/** Options for {@link OpenStore}. Stores ignore what does not apply to them. */
export interface OpenStoreOptions {
  /** Environment to read QDRANT_* and BATCH_SIZE from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Embedded: build an HNSW index once a collection has more points than this (default 10,000). */
  hnswThreshold?: number;
  /** Embedded: build indexes in a worker thread (default true). */
  backgroundIndexing?: boolean;
  /**
   * Embedded: run the scoring part of searches on a second thread (default false), so a
   * server's main thread keeps parsing and answering requests meanwhile. Worth it for
   * servers under concurrent load; a one-shot CLI search would only pay the thread's start.
   */
  searchThread?: boolean;
  /**
   * Embedded: how often other processes' commits are looked for (see wal-watch.ts):
   * "every-call" (default) or "once-per-turn" of the event loop, which servers use.
   */
  changeCheck?: "every-call" | "once-per-turn";
}

/** Signature of `openStore` (implemented in `src/store/index.ts`). */
export type OpenStore = (spec?: string, options?: OpenStoreOptions) => Promise<VectorStore>;
