/**
 * Qdrant store: the contract over a Qdrant server (or planvec's Qdrant-compatible server)
 * through the official `@qdrant/js-client-rest`.
 *
 * Resilience, in one place for every call:
 * - keep-alive connection pooling (the client's undici Agent, `maxConnections`), per-request
 *   timeout;
 * - retries with exponential backoff and decorrelated jitter (cockatiel) on retriable
 *   failures only: network errors, timeouts, 429 and 5xx, never 4xx. Every operation we send
 *   is idempotent (upserts carry their ids, deletes and payload updates are absolute), so a
 *   retry after an unknown outcome cannot duplicate data;
 * - a circuit breaker that opens after consecutive retriable failures, fails fast while
 *   open (`unavailable`), probes again after `halfOpenAfterMs`, and reports state changes;
 * - writes use `wait=true`: a write resolves only after Qdrant answered that it completed.
 * Searches use the Query API (`/points/query`); Qdrant ≥ 1.10 is required.
 */
import { QdrantClient } from "@qdrant/js-client-rest";
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from "cockatiel";
import {
  type CollectionInfo,
  type CollectionSpec,
  type Distance,
  type Filter,
  type GetOptions,
  normalizePointId,
  type OpenStoreOptions,
  type Payload,
  type Point,
  type PointId,
  type PointSelector,
  type ScoredPoint,
  type ScrollOptions,
  type ScrollPage,
  type SearchOptions,
  type SetPayloadOptions,
  type StoredPoint,
  StoreError,
  type StoreErrorCode,
  type UpsertOptions,
  type UpsertResult,
  type Vector,
  type VectorStore,
  type WithPayload,
} from "../contract.js";
import { validateFilter } from "../filter.js";

/** Oldest Qdrant with the Query API (`/points/query`). */
export const MIN_QDRANT_VERSION = "1.10.0";

export type CircuitEvent = "open" | "half-open" | "closed";

export interface QdrantStoreOptions extends OpenStoreOptions {
  /** Overrides QDRANT_API_KEY. */
  apiKey?: string;
  /** Per-request timeout (default 30 s, or QDRANT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff delay (default 100 ms), growing exponentially with jitter up to `maxDelayMs` (default 5 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Consecutive retriable failures that open the breaker (default 5). */
  breakerThreshold?: number;
  /** Time the breaker stays open before letting one probe through (default 10 s). */
  halfOpenAfterMs?: number;
  /** Points per upsert request (default BATCH_SIZE or 256). */
  batchSize?: number;
  /** Pooled keep-alive connections (default 16). */
  maxConnections?: number;
  /** Called when the breaker opens, half-opens or closes; default: a warning on stderr. */
  onCircuitChange?: (event: CircuitEvent, detail: string) => void;
}

/** Where to connect, from the spec URL or the environment. */
export function resolveQdrantUrl(url: string | null, env: Record<string, string | undefined>): string {
  if (url) return url;
  if (env.QDRANT_URL) return env.QDRANT_URL;
  if (env.QDRANT_HOST) {
    const tls = /^(1|true|yes)$/i.test(env.QDRANT_HTTPS ?? env.QDRANT_TLS ?? "");
    return `${tls ? "https" : "http"}://${env.QDRANT_HOST}:${env.QDRANT_PORT ?? "6333"}`;
  }
  throw new StoreError(
    "store.open",
    "invalid_argument",
    "no Qdrant address: use --store qdrant:URL, or set QDRANT_URL (or QDRANT_HOST and QDRANT_PORT)",
  );
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

interface HttpLikeError {
  status?: number;
  data?: unknown;
  name?: string;
  message?: string;
  cause?: unknown;
}

/** Network failures, timeouts, 429 and 5xx are worth retrying; 4xx (our request is wrong) never. */
export function isRetriable(error: unknown): boolean {
  const e = error as HttpLikeError;
  if (typeof e?.status === "number") return e.status === 429 || e.status >= 500;
  if (e?.name === "QdrantClientTimeoutError" || e?.name === "QdrantClientResourceExhaustedError") return true;
  if (e?.name === "AbortError" || e?.name === "TimeoutError") return true;
  // undici: TypeError("fetch failed") with a socket/connection cause.
  if (error instanceof TypeError && /fetch failed|terminated|other side closed/i.test(e.message ?? ""))
    return true;
  const code = (e?.cause as { code?: string } | undefined)?.code ?? (e as { code?: string })?.code;
  return (
    typeof code === "string" &&
    /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_)/.test(code)
  );
}

function qdrantMessage(data: unknown): string | undefined {
  const d = data as { status?: { error?: string } | string } | undefined;
  if (d && typeof d.status === "object" && typeof d.status?.error === "string") return d.status.error;
  if (typeof data === "string" && data.length > 0) return data.slice(0, 500);
  return undefined;
}

/** Translate a client/network failure into a StoreError carrying Qdrant's own message. */
export function toStoreError(operation: string, error: unknown, target: string): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof BrokenCircuitError) {
    return new StoreError(
      operation,
      "unavailable",
      `Qdrant at ${target} is unavailable (circuit breaker open after repeated failures)`,
      {
        cause: error,
      },
    );
  }
  const e = error as HttpLikeError & { statusText?: string };
  if (typeof e?.status === "number") {
    const body = qdrantMessage(e.data) ?? e.statusText ?? "";
    let code: StoreErrorCode = "rejected";
    if (e.status === 404) code = "not_found";
    else if (e.status === 409) code = "conflict";
    else if (e.status === 429 || e.status >= 500) code = "unavailable";
    else if (/dimension|dim(ension)?s? error|expected dim/i.test(body)) code = "dimension_mismatch";
    else if (/filter/i.test(body)) code = "invalid_filter";
    else if (e.status === 401 || e.status === 403) code = "rejected";
    const hint = e.status === 401 || e.status === 403 ? " (check QDRANT_API_KEY)" : "";
    return new StoreError(operation, code, `Qdrant answered ${e.status}: ${body}${hint}`, {
      cause: error,
      details: { status: e.status, body: e.data },
    });
  }
  if (e?.name === "QdrantClientTimeoutError") {
    return new StoreError(operation, "timeout", `Qdrant at ${target} did not answer in time`, {
      cause: error,
    });
  }
  if (isRetriable(error)) {
    const cause = (e?.cause as Error | undefined)?.message ?? e?.message;
    return new StoreError(operation, "unavailable", `cannot reach Qdrant at ${target}: ${cause}`, {
      cause: error,
    });
  }
  return new StoreError(operation, "internal", `Qdrant request failed: ${String(e?.message ?? error)}`, {
    cause: error,
  });
}

type QPoint = {
  id: string | number;
  payload?: Record<string, unknown> | null;
  vector?: unknown;
  score?: number;
};

export class QdrantStore implements VectorStore {
  readonly kind = "qdrant" as const;
  readonly location: string;
  private readonly policy: IPolicy;
  private readonly breaker: ReturnType<typeof circuitBreaker>;
  private readonly dims = new Map<string, number>();
  private readonly batchSize: number;
  private closed = false;
  /** Server version seen at connect. */
  serverVersion = "";

  private constructor(
    private readonly client: QdrantClient,
    readonly url: string,
    options: QdrantStoreOptions,
    env: Record<string, string | undefined>,
  ) {
    this.location = `qdrant:${url}`;
    this.batchSize = Math.max(1, options.batchSize ?? (Number(env.BATCH_SIZE) || 256));
    const retryPolicy = retry(handleWhen(isRetriable), {
      maxAttempts: options.retries ?? 4,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs ?? 100,
        maxDelay: options.maxDelayMs ?? 5_000,
      }),
    });
    this.breaker = circuitBreaker(handleWhen(isRetriable), {
      halfOpenAfter: options.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    });
    const report =
      options.onCircuitChange ??
      ((event: CircuitEvent, detail: string) =>
        process.emitWarning(`Qdrant circuit ${event}: ${detail}`, "PlanvecStoreWarning"));
    this.breaker.onBreak(() =>
      report("open", `${url} failed repeatedly; failing fast for ${options.halfOpenAfterMs ?? 10_000} ms`),
    );
    this.breaker.onHalfOpen(() => report("half-open", `probing ${url}`));
    this.breaker.onReset(() => report("closed", `${url} answers again`));
    // Retry outside, breaker inside: every attempt counts towards opening the breaker, and an
    // open breaker (BrokenCircuitError, not retriable) ends the retries at once.
    this.policy = wrap(retryPolicy, this.breaker);
  }

  /** Breaker state: `closed` (normal), `open` (failing fast) or `half-open` (probing). */
  get circuitState(): CircuitEvent {
    const s = this.breaker.state;
    return s === CircuitState.Open || s === CircuitState.Isolated
      ? "open"
      : s === CircuitState.HalfOpen
        ? "half-open"
        : "closed";
  }

  /**
   * Connect and check the server version (≥ {@link MIN_QDRANT_VERSION}). `url` null reads
   * QDRANT_URL or QDRANT_HOST/QDRANT_PORT (QDRANT_HTTPS=true for TLS) and QDRANT_API_KEY.
   */
  static async connect(url: string | null, options: QdrantStoreOptions = {}): Promise<QdrantStore> {
    const env = options.env ?? process.env;
    const target = resolveQdrantUrl(url, env);
    const apiKey = options.apiKey ?? env.QDRANT_API_KEY;
    let client: QdrantClient;
    try {
      client = new QdrantClient({
        url: target,
        ...(apiKey ? { apiKey } : {}),
        timeout: options.timeoutMs ?? (Number(env.QDRANT_TIMEOUT_MS) || 30_000),
        maxConnections: options.maxConnections ?? 16,
        // We check the version ourselves, through the retry policy, and fail clearly.
        checkCompatibility: false,
      });
    } catch (error) {
      throw new StoreError(
        "store.open",
        "invalid_argument",
        `bad Qdrant address ${target}: ${String(error)}`,
        { cause: error },
      );
    }
    const store = new QdrantStore(client, target, options, env);
    const info = (await store.call("store.open", () => client.versionInfo())) as { version?: string };
    store.serverVersion = String(info.version ?? "");
    if (!store.serverVersion || compareVersions(store.serverVersion, MIN_QDRANT_VERSION) < 0) {
      throw new StoreError(
        "store.open",
        "unavailable",
        `Qdrant at ${target} is version ${store.serverVersion || "unknown"}; planvec needs ≥ ${MIN_QDRANT_VERSION} (Query API)`,
      );
    }
    return store;
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError(operation, "closed", "the store is closed");
    try {
      return await this.policy.execute(() => fn());
    } catch (error) {
      throw toStoreError(operation, error, this.url);
    }
  }

  private filterOf(filter: Filter | null | undefined, operation: string): Filter | undefined {
    if (!filter) return undefined;
    try {
      validateFilter(filter);
    } catch (error) {
      if (error instanceof StoreError) throw new StoreError(operation, error.code, error.message);
      throw error;
    }
    return normalizeFilterIds(filter);
  }

  private async dimsOf(collection: string, operation: string): Promise<number> {
    const known = this.dims.get(collection);
    if (known !== undefined) return known;
    const info = await this.collectionInfo(collection).catch((error: unknown) => {
      throw error instanceof StoreError
        ? new StoreError(operation, error.code, error.message, { cause: error })
        : error;
    });
    return info.dims;
  }

  // ------------------------------------------------------------------ collections

  async ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo> {
    const op = "store.ensureCollection";
    if (!Number.isInteger(spec?.dims) || spec.dims < 1)
      throw new StoreError(op, "invalid_argument", "dims must be a positive integer");
    const existing = await this.collectionInfo(name).catch((error: unknown) => {
      if (error instanceof StoreError && error.code === "not_found") return null;
      throw error;
    });
    const check = (info: CollectionInfo) => {
      if (info.dims !== spec.dims) {
        throw new StoreError(
          op,
          "dimension_mismatch",
          `collection ${name} has ${info.dims} dims, asked for ${spec.dims}`,
        );
      }
      if (info.distance !== spec.distance) {
        throw new StoreError(
          op,
          "conflict",
          `collection ${name} uses ${info.distance}, asked for ${spec.distance}`,
        );
      }
      return info;
    };
    if (existing) return check(existing);
    try {
      await this.call(op, () =>
        this.client.api().createCollection({
          collection_name: name,
          vectors: { size: spec.dims, distance: spec.distance },
          ...(spec.metadata ? { metadata: spec.metadata } : {}),
        } as Parameters<ReturnType<QdrantClient["api"]>["createCollection"]>[0]),
      );
    } catch (error) {
      // Created concurrently by someone else: fine if it matches.
      if (
        !(error instanceof StoreError && (error.code === "conflict" || /already exists/i.test(error.message)))
      )
        throw error;
    }
    return check(await this.collectionInfo(name));
  }

  async dropCollection(name: string): Promise<boolean> {
    const op = "store.dropCollection";
    const exists = await this.call(op, () => this.client.collectionExists(name));
    if (!exists.exists) return false;
    await this.call(op, () => this.client.deleteCollection(name));
    this.dims.delete(name);
    return true;
  }

  async listCollections(): Promise<string[]> {
    const r = await this.call("store.listCollections", () => this.client.getCollections());
    return r.collections.map((c) => c.name).sort();
  }

  async collectionInfo(name: string): Promise<CollectionInfo> {
    const op = "store.collectionInfo";
    const r = (await this.call(op, () => this.client.getCollection(name))) as unknown as {
      status: string;
      indexed_vectors_count?: number | null;
      config: { params: { vectors?: unknown }; metadata?: Payload | null };
    };
    const vectors = r.config.params.vectors as { size?: number; distance?: string } | undefined;
    if (!vectors || typeof vectors.size !== "number") {
      throw new StoreError(
        op,
        "conflict",
        `collection ${name} uses named vectors; planvec needs one unnamed vector`,
      );
    }
    const count = await this.call(op, () => this.client.count(name, { exact: true }));
    this.dims.set(name, vectors.size);
    const distance = (vectors.distance === "Manhattan" ? "Euclid" : vectors.distance) as Distance;
    return {
      name,
      dims: vectors.size,
      distance,
      pointCount: count.count,
      indexedCount: r.indexed_vectors_count ?? 0,
      status: r.status === "green" ? "green" : r.status === "red" ? "red" : "yellow",
      ...(r.config.metadata ? { metadata: r.config.metadata } : {}),
    };
  }

  // ------------------------------------------------------------------ writes

  async upsert(
    collection: string,
    points: Iterable<Point> | AsyncIterable<Point>,
    options: UpsertOptions = {},
  ): Promise<UpsertResult> {
    const op = "store.upsert";
    const dims = await this.dimsOf(collection, op);
    const size = Math.max(1, options.batchSize ?? this.batchSize);
    let batch: Point[] = [];
    let upserted = 0;
    const flush = async () => {
      const body = batch.map((p, i) => toQdrantPoint(p, i, dims, op));
      const r = await this.call(op, () => this.client.upsert(collection, { wait: true, points: body }));
      if (r.status !== "completed") {
        throw new StoreError(
          op,
          "unavailable",
          `Qdrant acknowledged the batch as ${r.status}, not completed`,
        );
      }
      upserted += body.length;
      batch = [];
    };
    for await (const p of points as AsyncIterable<Point>) {
      batch.push(p);
      if (batch.length >= size) await flush();
    }
    if (batch.length > 0) await flush();
    return { upserted };
  }

  private selector(selector: PointSelector, op: string): { points: PointId[] } | { filter: Filter } {
    if (Array.isArray(selector)) return { points: selector.map((id) => normalizePointId(id, op)) };
    if (selector && typeof selector === "object" && "filter" in selector) {
      return { filter: this.filterOf(selector.filter, op) ?? {} };
    }
    throw new StoreError(op, "invalid_argument", "selector must be an array of ids or { filter }");
  }

  async delete(collection: string, selector: PointSelector): Promise<void> {
    const op = "store.delete";
    const sel = this.selector(selector, op);
    if ("points" in sel && sel.points.length === 0) return;
    await this.call(op, () => this.client.delete(collection, { wait: true, ...sel }));
  }

  async setPayload(
    collection: string,
    payload: Payload,
    selector: PointSelector,
    options: SetPayloadOptions = {},
  ): Promise<void> {
    const op = "store.setPayload";
    const sel = this.selector(selector, op);
    if ("points" in sel && sel.points.length === 0) return;
    await this.call(op, () =>
      this.client.setPayload(collection, {
        wait: true,
        payload,
        ...sel,
        ...(options.key ? { key: options.key } : {}),
      }),
    );
  }

  async overwritePayload(collection: string, payload: Payload, selector: PointSelector): Promise<void> {
    const op = "store.overwritePayload";
    const sel = this.selector(selector, op);
    if ("points" in sel && sel.points.length === 0) return;
    await this.call(op, () => this.client.overwritePayload(collection, { wait: true, payload, ...sel }));
  }

  async deletePayloadKeys(collection: string, keys: string[], selector: PointSelector): Promise<void> {
    const op = "store.deletePayloadKeys";
    const sel = this.selector(selector, op);
    if ("points" in sel && sel.points.length === 0) return;
    await this.call(op, () => this.client.deletePayload(collection, { wait: true, keys, ...sel }));
  }

  // ------------------------------------------------------------------ reads

  async get(collection: string, ids: PointId[], options: GetOptions = {}): Promise<StoredPoint[]> {
    const op = "store.get";
    const wanted = ids.map((id) => normalizePointId(id, op));
    if (wanted.length === 0) {
      await this.dimsOf(collection, op);
      return [];
    }
    const r = (await this.call(op, () =>
      this.client.retrieve(collection, {
        ids: wanted,
        with_payload: options.withPayload ?? true,
        with_vector: options.withVector ?? false,
      }),
    )) as QPoint[];
    const byId = new Map(r.map((p) => [p.id, p]));
    const out: StoredPoint[] = [];
    for (const id of wanted) {
      const p = byId.get(id);
      if (p) out.push(fromQdrant(p, options.withPayload ?? true, options.withVector ?? false));
    }
    return out;
  }

  async count(collection: string, filter?: Filter | null): Promise<number> {
    const op = "store.count";
    const f = this.filterOf(filter, op);
    const r = await this.call(op, () =>
      this.client.count(collection, { exact: true, ...(f ? { filter: f } : {}) }),
    );
    return r.count;
  }

  async scroll(collection: string, options: ScrollOptions = {}): Promise<ScrollPage> {
    const op = "store.scroll";
    const f = this.filterOf(options.filter, op);
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1)
      throw new StoreError(op, "invalid_argument", "limit must be an integer ≥ 1");
    const cursor =
      options.cursor === undefined || options.cursor === null
        ? undefined
        : normalizePointId(options.cursor, op);
    const r = await this.call(op, () =>
      this.client.scroll(collection, {
        limit,
        with_payload: options.withPayload ?? true,
        with_vector: options.withVector ?? false,
        ...(f ? { filter: f } : {}),
        ...(cursor !== undefined ? { offset: cursor } : {}),
      }),
    );
    const next = r.next_page_offset;
    return {
      points: (r.points as QPoint[]).map((p) =>
        fromQdrant(p, options.withPayload ?? true, options.withVector ?? false),
      ),
      nextCursor: typeof next === "number" || typeof next === "string" ? next : null,
    };
  }

  async search(collection: string, vector: Vector, options: SearchOptions = {}): Promise<ScoredPoint[]> {
    const op = "store.search";
    const dims = await this.dimsOf(collection, op);
    if (!vector || vector.length !== dims) {
      throw new StoreError(
        op,
        "dimension_mismatch",
        `query vector has ${vector?.length} dims, collection ${collection} has ${dims}`,
      );
    }
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1)
      throw new StoreError(op, "invalid_argument", "limit must be an integer ≥ 1");
    const f = this.filterOf(options.filter, op);
    const withPayload = options.withPayload ?? true;
    const withVector = options.withVector ?? false;
    const params: Record<string, unknown> = {};
    if (options.exact) params.exact = true;
    if (options.hnswEf) params.hnsw_ef = options.hnswEf;
    const r = await this.call(op, () =>
      this.client.query(collection, {
        query: Array.from(vector),
        limit,
        offset: options.offset ?? 0,
        with_payload: withPayload,
        with_vector: withVector,
        ...(f ? { filter: f } : {}),
        ...(options.scoreThreshold !== undefined && options.scoreThreshold !== null
          ? { score_threshold: options.scoreThreshold }
          : {}),
        ...(Object.keys(params).length > 0 ? { params } : {}),
      }),
    );
    return (r.points as QPoint[]).map((p) => ({
      ...fromQdrant(p, withPayload, withVector),
      score: p.score ?? 0,
    }));
  }

  async *exportPoints(
    collection: string,
    options: { batchSize?: number } = {},
  ): AsyncIterable<Required<StoredPoint>> {
    let cursor: PointId | null = null;
    do {
      const page: ScrollPage = await this.scroll(collection, {
        limit: options.batchSize ?? 500,
        cursor,
        withPayload: true,
        withVector: true,
      });
      for (const p of page.points) yield { id: p.id, payload: p.payload ?? {}, vector: p.vector ?? [] };
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function toQdrantPoint(
  p: Point,
  i: number,
  dims: number,
  op: string,
): { id: PointId; vector: number[]; payload: Payload } {
  if (!p || typeof p !== "object")
    throw new StoreError(op, "invalid_argument", `point #${i} is not an object`);
  const id = normalizePointId(p.id, op);
  const v = p.vector;
  if (!v || typeof v.length !== "number")
    throw new StoreError(op, "invalid_argument", `point ${id}: missing vector`);
  if (v.length !== dims)
    throw new StoreError(
      op,
      "dimension_mismatch",
      `point ${id}: vector has ${v.length} dims, collection has ${dims}`,
    );
  const vector = Array.from(v);
  for (let k = 0; k < vector.length; k++) {
    if (!Number.isFinite(vector[k]))
      throw new StoreError(op, "invalid_argument", `point ${id}: vector[${k}] is not a finite number`);
  }
  const payload = p.payload ?? {};
  if (typeof payload !== "object" || Array.isArray(payload))
    throw new StoreError(op, "invalid_argument", `point ${id}: payload must be a JSON object`);
  return { id, vector, payload };
}

function fromQdrant(p: QPoint, withPayload: WithPayload, withVector: boolean): StoredPoint {
  const out: StoredPoint = { id: p.id };
  if (withPayload !== false) out.payload = (p.payload ?? {}) as Payload;
  if (withVector && Array.isArray(p.vector)) out.vector = p.vector as number[];
  return out;
}

/** Qdrant wants hyphenated UUIDs in has_id; normalise ids anywhere in the filter tree. */
function normalizeFilterIds(filter: Filter): Filter {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x === null || typeof x !== "object") return x;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      out[k] = k === "has_id" && Array.isArray(v) ? v.map((id) => normalizePointId(id)) : walk(v);
    }
    return out;
  };
  return walk(filter) as Filter;
}
