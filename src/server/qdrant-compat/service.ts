/**
 * Qdrant REST operations carried out on a {@link VectorStore}. Takes request bodies already
 * validated against the spec's schemas, returns the `result` part of Qdrant's envelope.
 * HTTP concerns (routing, envelope, auth, statuses) live in `routes.ts` / `app.ts`.
 */
import {
  type CollectionSpec,
  type Distance,
  type Filter,
  type Payload,
  type Point,
  type PointId,
  type PointSelector,
  StoreError,
  type VectorStore,
} from "../../store/contract.js";
import {
  badRequest,
  collectionNotFound,
  pointNotFound,
  QdrantCompatError,
  unsupported,
  wrongInput,
} from "./errors.js";
import type { PayloadIndexRegistry, PayloadSchemaType } from "./payload-indexes.js";
import {
  checkFilter,
  type PayloadSelection,
  parseDenseVector,
  parsePointId,
  parsePointIds,
  parseSelector,
  payloadSelection,
  rejectShardKey,
  toRecord,
  toScoredPoint,
  vectorSelection,
  type WithPayloadInterface,
} from "./translate.js";

// Request shapes (already validated against the spec; only the fields we read are typed).
interface VectorParams {
  size: number;
  distance: string;
  multivector_config?: unknown;
  datatype?: string | null;
}
export interface CreateCollectionBody {
  vectors?: VectorParams | Record<string, VectorParams>;
  sparse_vectors?: Record<string, unknown> | null;
  sharding_method?: string | null;
  metadata?: Payload | null;
}
interface PointStruct {
  id: unknown;
  vector: unknown;
  payload?: Payload | null;
}
export interface UpsertBody {
  points?: PointStruct[];
  batch?: { ids: unknown[]; vectors: unknown; payloads?: (Payload | null)[] | null };
  shard_key?: unknown;
  update_filter?: Filter | null;
  update_mode?: "upsert" | "insert_only" | "update_only" | null;
}
export interface SelectorBody {
  points?: unknown[] | null;
  filter?: Filter | null;
  shard_key?: unknown;
}
export interface SetPayloadBody extends SelectorBody {
  payload: Payload;
  key?: string | null;
}
export interface DeletePayloadBody extends SelectorBody {
  keys: string[];
}
export interface RetrieveBody {
  ids: unknown[];
  with_payload?: WithPayloadInterface;
  with_vector?: boolean | string[] | null;
  shard_key?: unknown;
}
export interface ScrollBody {
  offset?: unknown;
  limit?: number | null;
  filter?: Filter | null;
  with_payload?: WithPayloadInterface;
  with_vector?: boolean | string[] | null;
  order_by?: unknown;
  shard_key?: unknown;
}
export interface CountBody {
  filter?: Filter | null;
  exact?: boolean;
  shard_key?: unknown;
}
export interface QueryBody {
  prefetch?: unknown;
  query?: unknown;
  using?: string | null;
  filter?: Filter | null;
  params?: { hnsw_ef?: number | null; exact?: boolean } | null;
  score_threshold?: number | null;
  limit?: number | null;
  offset?: number | null;
  with_vector?: boolean | string[] | null;
  with_payload?: WithPayloadInterface;
  lookup_from?: unknown;
  shard_key?: unknown;
}
export type UpdateOperation =
  | { upsert: UpsertBody }
  | { delete: SelectorBody }
  | { set_payload: SetPayloadBody }
  | { overwrite_payload: SetPayloadBody }
  | { delete_payload: DeletePayloadBody }
  | { clear_payload: SelectorBody }
  | { update_vectors: unknown }
  | { delete_vectors: unknown };

export interface UpdateResult {
  operation_id: number;
  status: "completed";
}

/** offset + limit above which a query first checks the collection's size. */
const LARGE_WINDOW = 100_000;
const DISTANCES: readonly Distance[] = ["Cosine", "Dot", "Euclid"];
/** Characters Qdrant refuses in collection names (they end up in file paths). */
const FORBIDDEN_NAME = /[/\\:*?"<>|\0]/;

export class QdrantCompatService {
  /** dims/distance per collection: every point operation needs them, the store is asked once. */
  private readonly specs = new Map<string, CollectionSpec>();
  /** Writes to one collection run one after another, so `ordering` holds trivially. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private operationId = 0;

  constructor(
    readonly store: VectorStore,
    private readonly indexes: PayloadIndexRegistry,
  ) {}

  // ---------------------------------------------------------------- collections

  async listCollections() {
    const names = await this.store.listCollections();
    return { collections: names.map((name) => ({ name })) };
  }

  async collectionExists(name: string) {
    if (!isValidName(name)) return { exists: false };
    const names = await this.store.listCollections();
    return { exists: names.includes(name) };
  }

  async createCollection(name: string, body: CreateCollectionBody): Promise<boolean> {
    checkName(name);
    const spec = collectionSpec(body);
    return this.exclusive("", async () => {
      const names = await this.store.listCollections();
      if (names.includes(name)) {
        throw new QdrantCompatError(409, "conflict", `Wrong input: Collection \`${name}\` already exists!`);
      }
      await this.store.ensureCollection(name, spec);
      this.specs.set(name, spec);
      return true;
    });
  }

  async deleteCollection(name: string): Promise<boolean> {
    if (!isValidName(name)) return false;
    return this.exclusive("", async () => {
      this.specs.delete(name);
      const dropped = await this.store.dropCollection(name);
      await this.indexes.dropCollection(name);
      return dropped;
    });
  }

  async collectionInfo(name: string) {
    const info = await this.withCollection(name, () => this.store.collectionInfo(name));
    const payloadSchema: Record<string, unknown> = {};
    for (const [field, index] of Object.entries(this.indexes.list(name))) {
      const points = await this.store.count(name, { must_not: [{ is_empty: { key: field } }] });
      payloadSchema[field] = {
        data_type: index.data_type,
        ...(index.params ? { params: index.params } : {}),
        points,
      };
    }
    return {
      status: info.status,
      optimizer_status: "ok",
      indexed_vectors_count: info.indexedCount ?? info.pointCount,
      points_count: info.pointCount,
      segments_count: 1,
      config: {
        params: {
          vectors: { size: info.dims, distance: info.distance },
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: {
          m: 16,
          ef_construct: 100,
          full_scan_threshold: 10000,
          max_indexing_threads: 0,
          on_disk: false,
        },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 20000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: null,
        metadata: info.metadata ?? null,
      },
      payload_schema: payloadSchema,
    };
  }

  async createFieldIndex(
    name: string,
    body: { field_name: string; field_schema?: string | Record<string, unknown> | null },
  ): Promise<UpdateResult> {
    await this.spec(name);
    const schema = body.field_schema;
    if (schema === null || schema === undefined) {
      throw badRequest('`field_schema` is required to create a payload index (e.g. "keyword")');
    }
    const dataType = (typeof schema === "string" ? schema : schema.type) as PayloadSchemaType;
    await this.indexes.declare(name, body.field_name, {
      data_type: dataType,
      params: typeof schema === "string" ? null : schema,
    });
    return this.done();
  }

  async deleteFieldIndex(name: string, field: string): Promise<UpdateResult> {
    await this.spec(name);
    await this.indexes.remove(name, field);
    return this.done();
  }

  // ---------------------------------------------------------------- points: writes

  async upsert(name: string, body: UpsertBody): Promise<UpdateResult> {
    const spec = await this.spec(name);
    const points = pointsOf(body, spec.dims);
    return this.write(name, async () => {
      await this.upsertPoints(name, points, body);
      return this.done();
    });
  }

  async deletePoints(name: string, body: SelectorBody): Promise<UpdateResult> {
    await this.spec(name);
    const selector = parseSelector(body);
    return this.write(name, async () => {
      await this.store.delete(name, selector);
      return this.done();
    });
  }

  async setPayload(name: string, body: SetPayloadBody, overwrite: boolean): Promise<UpdateResult> {
    await this.spec(name);
    const selector = parseSelector(body);
    return this.write(name, async () => {
      await this.applySetPayload(name, body, selector, overwrite);
      return this.done();
    });
  }

  async deletePayload(name: string, body: DeletePayloadBody): Promise<UpdateResult> {
    await this.spec(name);
    const selector = parseSelector(body);
    return this.write(name, async () => {
      await this.store.deletePayloadKeys(name, body.keys, selector);
      return this.done();
    });
  }

  async clearPayload(name: string, body: SelectorBody): Promise<UpdateResult> {
    await this.spec(name);
    const selector = parseSelector(body);
    return this.write(name, async () => {
      await this.store.overwritePayload(name, {}, selector);
      return this.done();
    });
  }

  /**
   * Apply operations in order. Every operation is checked before the first is applied, so a
   * malformed batch changes nothing; a store failure midway leaves the earlier ones applied,
   * as in Qdrant.
   */
  async batch(name: string, operations: UpdateOperation[]): Promise<UpdateResult[]> {
    const spec = await this.spec(name);
    const plan = operations.map((operation, index) => this.planOperation(name, spec, operation, index));
    return this.write(name, async () => {
      const results: UpdateResult[] = [];
      for (const step of plan) {
        await step();
        results.push(this.done());
      }
      return results;
    });
  }

  private planOperation(name: string, spec: CollectionSpec, operation: UpdateOperation, index: number) {
    const where = `operations[${index}]`;
    if ("upsert" in operation) {
      const points = pointsOf(operation.upsert, spec.dims);
      return () => this.upsertPoints(name, points, operation.upsert);
    }
    if ("delete" in operation) {
      const selector = parseSelector(operation.delete);
      return () => this.store.delete(name, selector);
    }
    if ("set_payload" in operation || "overwrite_payload" in operation) {
      const overwrite = "overwrite_payload" in operation;
      const body = overwrite
        ? operation.overwrite_payload
        : (operation as { set_payload: SetPayloadBody }).set_payload;
      const selector = parseSelector(body);
      return () => this.applySetPayload(name, body, selector, overwrite);
    }
    if ("delete_payload" in operation) {
      const selector = parseSelector(operation.delete_payload);
      return () => this.store.deletePayloadKeys(name, operation.delete_payload.keys, selector);
    }
    if ("clear_payload" in operation) {
      const selector = parseSelector(operation.clear_payload);
      return () => this.store.overwritePayload(name, {}, selector);
    }
    throw unsupported(`${where}: \`${Object.keys(operation)[0]}\` (vector updates)`);
  }

  private async upsertPoints(name: string, points: Point[], body: UpsertBody): Promise<void> {
    rejectShardKey(body.shard_key);
    if (body.update_filter !== undefined && body.update_filter !== null) throw unsupported("`update_filter`");
    const mode = body.update_mode ?? "upsert";
    let selected = points;
    if (mode !== "upsert") {
      const existing = await this.store.get(
        name,
        points.map((p) => p.id),
        { withPayload: false },
      );
      const present = new Set(existing.map((p) => p.id));
      selected = points.filter((p) => present.has(p.id) === (mode === "update_only"));
    }
    await this.store.upsert(name, selected);
  }

  private async applySetPayload(
    name: string,
    body: SetPayloadBody,
    selector: PointSelector,
    overwrite: boolean,
  ): Promise<void> {
    if (overwrite) {
      if (body.key !== undefined && body.key !== null)
        throw badRequest("`key` cannot be used to overwrite payload");
      await this.store.overwritePayload(name, body.payload, selector);
    } else {
      await this.store.setPayload(name, body.payload, selector, body.key ? { key: body.key } : undefined);
    }
  }

  // ---------------------------------------------------------------- points: reads

  async retrieve(name: string, body: RetrieveBody) {
    rejectShardKey(body.shard_key);
    await this.spec(name);
    const ids = parsePointIds(body.ids, "ids");
    const selection = payloadSelection(body.with_payload, true);
    const withVector = vectorSelection(body.with_vector, false);
    const points = await this.store.get(name, ids, { withPayload: selection.withPayload, withVector });
    return points.map((point) => toRecord(point, selection, withVector));
  }

  async getPoint(name: string, id: PointId) {
    await this.spec(name);
    const [point] = await this.store.get(name, [id], { withPayload: true, withVector: true });
    if (!point) throw pointNotFound(id);
    return toRecord(point, { withPayload: true, exclude: null }, true);
  }

  async scroll(name: string, body: ScrollBody) {
    rejectShardKey(body.shard_key);
    if (body.order_by !== undefined && body.order_by !== null) throw unsupported("`order_by`");
    await this.spec(name);
    const selection = payloadSelection(body.with_payload, true);
    const withVector = vectorSelection(body.with_vector, false);
    const page = await this.store.scroll(name, {
      filter: checkFilter(body.filter),
      cursor: body.offset === undefined || body.offset === null ? null : parsePointId(body.offset, "offset"),
      limit: body.limit ?? 10,
      withPayload: selection.withPayload,
      withVector,
    });
    return {
      points: page.points.map((point) => toRecord(point, selection, withVector)),
      next_page_offset: page.nextCursor,
    };
  }

  async count(name: string, body: CountBody) {
    rejectShardKey(body.shard_key);
    await this.spec(name);
    // Always exact: `exact: false` is allowed to be exact.
    return { count: await this.store.count(name, checkFilter(body.filter)) };
  }

  async query(name: string, body: QueryBody) {
    rejectShardKey(body.shard_key);
    if (body.prefetch !== undefined && body.prefetch !== null) throw unsupported("`prefetch`");
    if (body.lookup_from !== undefined && body.lookup_from !== null) throw unsupported("`lookup_from`");
    if (body.using !== undefined && body.using !== null && body.using !== "") {
      throw unsupported(`named vectors (\`using: ${JSON.stringify(body.using)}\`)`);
    }
    const spec = await this.spec(name);
    let limit = body.limit ?? 10;
    const offset = body.offset ?? 0;
    if (offset + limit > LARGE_WINDOW) {
      // Pages far beyond the collection's size (offset 2^53 is valid JSON) are answered
      // without asking the store for a window it would try to allocate.
      const { pointCount } = await this.withCollection(name, () => this.store.collectionInfo(name));
      if (offset >= pointCount) return { points: [] };
      limit = Math.min(limit, pointCount - offset);
    }
    const selection = payloadSelection(body.with_payload, false);
    const withVector = vectorSelection(body.with_vector, false);
    let filter = checkFilter(body.filter);

    const target = resolveQuery(body.query);
    if (target === null)
      return { points: await this.listByIds(name, filter, offset, limit, selection, withVector) };

    let vector: number[];
    if (target.kind === "id") {
      const [point] = await this.store.get(name, [target.id], { withPayload: false, withVector: true });
      if (!point?.vector) throw pointNotFound(target.id);
      vector = point.vector;
      // Qdrant never returns the example point itself.
      filter = { must: filter ? [filter] : [], must_not: [{ has_id: [target.id] }] };
    } else {
      vector = parseDenseVector(target.vector, spec.dims, "query");
    }
    const hits = await this.store.search(name, vector, {
      limit,
      offset,
      filter,
      withPayload: selection.withPayload,
      withVector,
      scoreThreshold: body.score_threshold ?? null,
      exact: body.params?.exact ?? false,
      ...(body.params?.hnsw_ef ? { hnswEf: body.params.hnsw_ef } : {}),
    });
    return { points: hits.map((hit) => toScoredPoint(hit, selection, withVector)) };
  }

  /** A query without `query`: points in id order with score 0, as Qdrant answers. */
  private async listByIds(
    name: string,
    filter: Filter | null,
    offset: number,
    limit: number,
    selection: PayloadSelection,
    withVector: boolean,
  ) {
    const page = await this.store.scroll(name, {
      filter,
      limit: offset + limit,
      withPayload: selection.withPayload,
      withVector,
    });
    return page.points
      .slice(offset, offset + limit)
      .map((point) => toScoredPoint({ ...point, score: 0 }, selection, withVector));
  }

  // ---------------------------------------------------------------- helpers

  /** The collection's spec, or 404 with Qdrant's message. */
  private async spec(name: string): Promise<CollectionSpec> {
    const cached = this.specs.get(name);
    if (cached) return cached;
    const info = await this.withCollection(name, () => this.store.collectionInfo(name));
    const spec = { dims: info.dims, distance: info.distance };
    this.specs.set(name, spec);
    return spec;
  }

  private async withCollection<T>(name: string, action: () => Promise<T>): Promise<T> {
    if (!isValidName(name)) throw collectionNotFound(name);
    try {
      return await action();
    } catch (error) {
      if (error instanceof StoreError && error.code === "not_found") {
        this.specs.delete(name);
        throw collectionNotFound(name);
      }
      throw error;
    }
  }

  private write<T>(name: string, action: () => Promise<T>): Promise<T> {
    return this.exclusive(name, () => this.withCollection(name, action));
  }

  /** Run `action` after every earlier action queued under `key`. */
  private exclusive<T>(key: string, action: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(action, action);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  private done(): UpdateResult {
    return { operation_id: this.operationId++, status: "completed" };
  }
}

function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !FORBIDDEN_NAME.test(name) && name !== "." && name !== "..";
}

function checkName(name: string): void {
  if (!isValidName(name)) {
    throw new QdrantCompatError(
      422,
      "validation",
      `Validation error in path parameters: [collection_name: ${JSON.stringify(name)} is not a valid collection name: 1-255 characters, none of / \\ : * ? " < > |]`,
    );
  }
}

/** The store spec of a `PUT /collections/{name}` body, refusing what the store cannot hold. */
function collectionSpec(body: CreateCollectionBody): CollectionSpec {
  const vectors = body.vectors;
  if (vectors === undefined) {
    throw badRequest(
      "`vectors: {size, distance}` is required: planvec serve-qdrant stores one dense vector per point",
    );
  }
  if (!("size" in vectors) || typeof vectors.size !== "number") {
    const names = Object.keys(vectors);
    throw unsupported(`named vectors (${names.map((n) => `\`${n}\``).join(", ") || "an empty map"})`);
  }
  const params = vectors as VectorParams;
  if (params.multivector_config !== undefined && params.multivector_config !== null)
    throw unsupported("multivectors");
  if (params.datatype && params.datatype !== "float32") throw unsupported(`datatype \`${params.datatype}\``);
  if (!DISTANCES.includes(params.distance as Distance)) throw unsupported(`distance \`${params.distance}\``);
  if (body.sparse_vectors && Object.keys(body.sparse_vectors).length > 0) throw unsupported("sparse vectors");
  if (body.sharding_method === "custom") throw unsupported("custom sharding");
  return {
    dims: params.size,
    distance: params.distance as Distance,
    ...(body.metadata ? { metadata: body.metadata } : {}),
  };
}

/** The points of an upsert body (either form), with ids and vectors checked. */
function pointsOf(body: UpsertBody, dims: number): Point[] {
  if (body.points) {
    return body.points.map((p, i) => ({
      id: parsePointId(p.id, `points[${i}].id`),
      vector: parseDenseVector(p.vector, dims, `points[${i}].vector`),
      payload: p.payload ?? null,
    }));
  }
  const batch = body.batch;
  if (!batch) throw badRequest("give `points` or `batch`");
  if (!Array.isArray(batch.vectors)) throw unsupported("named vectors in `batch.vectors`");
  const vectors = batch.vectors as unknown[];
  if (vectors.length !== batch.ids.length) {
    throw wrongInput(`batch has ${batch.ids.length} ids but ${vectors.length} vectors`);
  }
  if (batch.payloads && batch.payloads.length !== batch.ids.length) {
    throw wrongInput(`batch has ${batch.ids.length} ids but ${batch.payloads.length} payloads`);
  }
  return batch.ids.map((id, i) => ({
    id: parsePointId(id, `batch.ids[${i}]`),
    vector: parseDenseVector(vectors[i], dims, `batch.vectors[${i}]`),
    payload: batch.payloads?.[i] ?? null,
  }));
}

type QueryTarget = { kind: "vector"; vector: unknown } | { kind: "id"; id: PointId } | null;

/** What a `query` asks for: nearest to a vector, nearest to a stored point, or nothing (id order). */
function resolveQuery(query: unknown): QueryTarget {
  if (query === undefined || query === null) return null;
  if (typeof query === "number" || typeof query === "string")
    return { kind: "id", id: parsePointId(query, "query") };
  if (Array.isArray(query)) return { kind: "vector", vector: query };
  if (typeof query === "object") {
    const q = query as Record<string, unknown>;
    if ("nearest" in q) {
      if (q.mmr !== undefined && q.mmr !== null) throw unsupported("MMR re-ranking (`mmr`)");
      return resolveQuery(q.nearest) ?? { kind: "vector", vector: q.nearest };
    }
    if ("indices" in q) throw unsupported("sparse vectors");
    const kind = Object.keys(q)[0] ?? "unknown";
    throw unsupported(`query type \`${kind}\``);
  }
  throw badRequest("`query` must be a vector, a point id or `{nearest: …}`");
}
