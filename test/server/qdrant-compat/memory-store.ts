/**
 * A plain in-memory VectorStore: brute-force search and a direct reading of Qdrant's filter
 * semantics. The server tests use the real embedded store when it is available; this one is
 * the fallback while it is not, and the oracle the tests compare answers with.
 */
import {
  type CollectionInfo,
  type CollectionSpec,
  type Condition,
  type Filter,
  normalizePointId,
  type Payload,
  type Point,
  type PointId,
  type PointSelector,
  type ScoredPoint,
  type SearchOptions,
  type StoredPoint,
  StoreError,
  type VectorStore,
  type WithPayload,
} from "../../../src/store/contract.js";

interface Row {
  id: PointId;
  vector: number[];
  payload: Payload;
}
interface Collection {
  spec: CollectionSpec;
  rows: Map<string, Row>;
}

const key = (id: PointId) => `${typeof id}:${id}`;

export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class MemoryStore implements VectorStore {
  readonly kind = "embedded" as const;
  readonly location = "memory:";
  private readonly collections = new Map<string, Collection>();

  async ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo> {
    const existing = this.collections.get(name);
    if (existing && existing.spec.dims !== spec.dims)
      throw new StoreError("ensure", "dimension_mismatch", "dims");
    if (!existing) this.collections.set(name, { spec, rows: new Map() });
    return this.collectionInfo(name);
  }
  async dropCollection(name: string) {
    return this.collections.delete(name);
  }
  async listCollections() {
    return [...this.collections.keys()].sort();
  }
  async collectionInfo(name: string): Promise<CollectionInfo> {
    const c = this.col(name);
    return {
      name,
      dims: c.spec.dims,
      distance: c.spec.distance,
      pointCount: c.rows.size,
      status: "green",
      ...(c.spec.metadata ? { metadata: c.spec.metadata } : {}),
    };
  }
  async upsert(name: string, points: Iterable<Point> | AsyncIterable<Point>) {
    const c = this.col(name);
    const rows: Row[] = [];
    for await (const p of points) {
      if (p.vector.length !== c.spec.dims) {
        throw new StoreError(
          "upsert",
          "dimension_mismatch",
          `expected ${c.spec.dims}, got ${p.vector.length}`,
        );
      }
      rows.push({
        id: normalizePointId(p.id),
        vector: [...p.vector],
        payload: structuredClone(p.payload ?? {}),
      });
    }
    for (const row of rows) c.rows.set(key(row.id), row);
    return { upserted: rows.length };
  }
  async get(name: string, ids: PointId[], options: { withPayload?: WithPayload; withVector?: boolean } = {}) {
    const c = this.col(name);
    return ids.flatMap((id) => {
      const row = c.rows.get(key(normalizePointId(id)));
      return row ? [out(row, options.withPayload ?? true, options.withVector ?? false)] : [];
    });
  }
  async delete(name: string, selector: PointSelector) {
    const c = this.col(name);
    for (const row of this.select(c, selector)) c.rows.delete(key(row.id));
  }
  async setPayload(name: string, payload: Payload, selector: PointSelector, options?: { key?: string }) {
    const c = this.col(name);
    for (const row of this.select(c, selector)) {
      if (options?.key) {
        const target = (row.payload[options.key] ?? {}) as Payload;
        row.payload[options.key] = { ...target, ...structuredClone(payload) };
      } else Object.assign(row.payload, structuredClone(payload));
    }
  }
  async overwritePayload(name: string, payload: Payload, selector: PointSelector) {
    const c = this.col(name);
    for (const row of this.select(c, selector)) row.payload = structuredClone(payload);
  }
  async deletePayloadKeys(name: string, keys: string[], selector: PointSelector) {
    const c = this.col(name);
    for (const row of this.select(c, selector)) for (const k of keys) delete row.payload[k];
  }
  async search(
    name: string,
    vector: number[] | Float32Array,
    options: SearchOptions = {},
  ): Promise<ScoredPoint[]> {
    const c = this.col(name);
    const q = [...vector];
    const distance = c.spec.distance;
    const scored = [...c.rows.values()]
      .filter((row) => !options.filter || matches(row, options.filter))
      .map((row) => ({ row, score: score(distance, q, row.vector) }))
      .filter(({ score: s }) =>
        options.scoreThreshold === undefined || options.scoreThreshold === null
          ? true
          : distance === "Euclid"
            ? s <= options.scoreThreshold
            : s >= options.scoreThreshold,
      )
      .sort(
        (a, b) =>
          (distance === "Euclid" ? a.score - b.score : b.score - a.score) || compareIds(a.row.id, b.row.id),
      );
    const offset = options.offset ?? 0;
    return scored.slice(offset, offset + (options.limit ?? 10)).map(({ row, score: s }) => ({
      ...out(row, options.withPayload ?? true, options.withVector ?? false),
      score: s,
    }));
  }
  async scroll(
    name: string,
    options: {
      filter?: Filter | null;
      cursor?: PointId | null;
      limit?: number;
      withPayload?: WithPayload;
      withVector?: boolean;
    } = {},
  ) {
    const c = this.col(name);
    const rows = [...c.rows.values()]
      .filter((row) => !options.filter || matches(row, options.filter))
      .filter(
        (row) =>
          options.cursor === null || options.cursor === undefined || compareIds(row.id, options.cursor) >= 0,
      )
      .sort((a, b) => compareIds(a.id, b.id));
    const limit = options.limit ?? 10;
    return {
      points: rows
        .slice(0, limit)
        .map((row) => out(row, options.withPayload ?? true, options.withVector ?? false)),
      nextCursor: rows[limit]?.id ?? null,
    };
  }
  async count(name: string, filter?: Filter | null) {
    const c = this.col(name);
    return [...c.rows.values()].filter((row) => !filter || matches(row, filter)).length;
  }
  async *exportPoints(name: string): AsyncIterable<Required<StoredPoint>> {
    const c = this.col(name);
    for (const row of [...c.rows.values()].sort((a, b) => compareIds(a.id, b.id))) {
      yield { id: row.id, vector: row.vector, payload: row.payload };
    }
  }
  async close() {}

  private col(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw new StoreError("store", "not_found", `collection ${name} not found`);
    return c;
  }
  private select(c: Collection, selector: PointSelector): Row[] {
    if (Array.isArray(selector)) {
      return selector.flatMap((id) => {
        const row = c.rows.get(key(normalizePointId(id)));
        return row ? [row] : [];
      });
    }
    return [...c.rows.values()].filter((row) => matches(row, selector.filter));
  }
}

function out(row: Row, withPayload: WithPayload, withVector: boolean): StoredPoint {
  const point: StoredPoint = { id: row.id };
  if (withPayload === true) point.payload = structuredClone(row.payload);
  else if (Array.isArray(withPayload)) {
    point.payload = Object.fromEntries(
      withPayload.filter((k) => k in row.payload).map((k) => [k, row.payload[k]]),
    );
  }
  if (withVector) point.vector = [...row.vector];
  return point;
}

function score(distance: string, a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
    sq += (x - y) ** 2;
  }
  if (distance === "Dot") return dot;
  if (distance === "Euclid") return Math.sqrt(sq);
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Values at a dot path; arrays on the way are flattened (Qdrant's any-element rule). */
function valuesAt(payload: unknown, path: string): unknown[] {
  let nodes: unknown[] = [payload];
  for (const part of path.replace(/\[\]/g, "").split(".")) {
    nodes = nodes.flatMap((n) => {
      if (n === null || typeof n !== "object" || Array.isArray(n)) return [];
      const v = (n as Record<string, unknown>)[part];
      return v === undefined ? [] : [v];
    });
    nodes = nodes.flatMap((n) => (Array.isArray(n) ? n : [n]));
  }
  return nodes;
}

const list = (c: Condition | Condition[] | null | undefined): Condition[] =>
  c === null || c === undefined ? [] : Array.isArray(c) ? c : [c];

export function matches(row: { id: PointId; payload: Payload }, filter: Filter): boolean {
  const must = list(filter.must);
  const should = list(filter.should);
  const mustNot = list(filter.must_not);
  if (!must.every((c) => condition(row, c))) return false;
  if (should.length > 0 && !should.some((c) => condition(row, c))) return false;
  if (mustNot.some((c) => condition(row, c))) return false;
  if (filter.min_should) {
    const n = filter.min_should.conditions.filter((c) => condition(row, c)).length;
    if (n < filter.min_should.min_count) return false;
  }
  return true;
}

function condition(row: { id: PointId; payload: Payload }, c: Condition): boolean {
  const x = c as Record<string, unknown>;
  if ("has_id" in x) return (x.has_id as PointId[]).some((id) => normalizePointId(id) === row.id);
  if ("is_empty" in x && typeof x.is_empty === "object" && x.is_empty !== null && !("key" in x)) {
    const values = valuesAt(row.payload, (x.is_empty as { key: string }).key);
    return values.length === 0 || values.every((v) => v === null);
  }
  if ("is_null" in x && typeof x.is_null === "object" && x.is_null !== null && !("key" in x)) {
    return valuesAt(row.payload, (x.is_null as { key: string }).key).some((v) => v === null);
  }
  if ("key" in x) {
    const values = valuesAt(row.payload, x.key as string).filter((v) => v !== null);
    const match = x.match as Record<string, unknown> | undefined | null;
    if (match) {
      if ("value" in match) return values.some((v) => v === match.value);
      if ("any" in match) return values.some((v) => (match.any as unknown[]).includes(v));
      if ("except" in match)
        return values.length > 0 && values.some((v) => !(match.except as unknown[]).includes(v));
      if ("text" in match)
        return values.some((v) => typeof v === "string" && v.includes(match.text as string));
    }
    const range = x.range as Record<string, number | null | undefined> | undefined | null;
    if (range) {
      return values.some(
        (v) =>
          typeof v === "number" &&
          (range.gt == null || v > range.gt) &&
          (range.gte == null || v >= range.gte) &&
          (range.lt == null || v < range.lt) &&
          (range.lte == null || v <= range.lte),
      );
    }
    return false;
  }
  if ("must" in x || "should" in x || "must_not" in x || "min_should" in x) return matches(row, c as Filter);
  return false;
}
