/**
 * In-memory payload columns of one collection, and filter evaluation on them.
 *
 * Payloads are parsed once (on load or write), never per query. For every key path a filter
 * uses, a column is built on first use and then maintained on each write: the raw values at
 * that path per slot, plus an inverted index (scalar → slots) that answers `match` conditions
 * without visiting every point. A filter evaluates to a bitmap over slots (one byte per slot),
 * so combining `must` / `should` / `must_not` is a few passes over a typed array: about
 * 0.1 ms for 100k points.
 */
import {
  type Condition,
  type FieldCondition,
  type Filter,
  type Match,
  normalizePointId,
  type Payload,
  type PointId,
  type RangeCondition,
} from "../contract.js";
import {
  clauseList,
  compileFilter,
  inRange,
  isEmptyRaw,
  isNullRaw,
  matchLeaf,
  type PathStep,
  parsePath,
  resolvePath,
} from "../filter.js";

/** Key of a scalar in the inverted index; strings, numbers and booleans never collide. */
function scalarKey(v: unknown): string | null {
  switch (typeof v) {
    case "string":
      return `s${v}`;
    case "number":
      return `n${v}`;
    case "boolean":
      return v ? "bt" : "bf";
    default:
      return null;
  }
}

class PathColumn {
  readonly steps: PathStep[];
  /** Raw values at the path per slot (resolvePath result), undefined for free slots. */
  readonly raw: Array<unknown[] | undefined> = [];
  /** Leaf scalar → slots holding it. */
  readonly postings = new Map<string, Set<number>>();

  constructor(path: string) {
    this.steps = parsePath(path);
  }

  set(slot: number, payload: Payload | undefined): void {
    const old = this.raw[slot];
    if (old) for (const key of this.leafKeys(old)) this.postings.get(key)?.delete(slot);
    if (payload === undefined) {
      this.raw[slot] = undefined;
      return;
    }
    const values = resolvePath(payload, this.steps);
    this.raw[slot] = values;
    for (const key of this.leafKeys(values)) {
      let set = this.postings.get(key);
      if (!set) {
        set = new Set();
        this.postings.set(key, set);
      }
      set.add(slot);
    }
  }

  private *leafKeys(values: unknown[]): Iterable<string> {
    for (const v of values) {
      if (Array.isArray(v)) {
        for (const e of v) {
          const k = scalarKey(e);
          if (k !== null) yield k;
        }
      } else {
        const k = scalarKey(v);
        if (k !== null) yield k;
      }
    }
  }
}

/** Does any leaf value (raw values, arrays flattened one level) satisfy `test`? */
function anyLeaf(raw: unknown[], test: (v: unknown) => boolean): boolean {
  for (const v of raw) {
    if (Array.isArray(v)) {
      for (const e of v) if (test(e)) return true;
    } else if (test(v)) return true;
  }
  return false;
}

function countLeaves(raw: unknown[]): number {
  let n = 0;
  for (const v of raw) {
    if (Array.isArray(v)) {
      for (const e of v) if (e !== null) n++;
    } else if (v !== null) n++;
  }
  return n;
}

/** Services the evaluator needs from its collection. */
export interface SlotSpace {
  /** One past the highest slot in use. */
  readonly capacity: number;
  /** 1 for slots holding a point. */
  readonly alive: Uint8Array;
  slotOf(id: PointId): number | undefined;
  idOf(slot: number): PointId;
}

/** Freeze an object and everything it holds (JSON data: objects and arrays). */
export function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeDeep(child);
  }
  return value;
}

/** The live slots a filter matches: bitmap (by slot), count, and the slots in order. */
export interface FilterMatch {
  mask: Uint8Array;
  count: number;
  slots: Int32Array;
}

export class PayloadIndex {
  /** Parsed payload per slot (undefined for free slots). */
  readonly payloads: Array<Payload | undefined> = [];
  private readonly columns = new Map<string, PathColumn>();
  private readonly cache = new Map<string, { version: number } & FilterMatch>();
  /** Bumped on every write; cached masks of an older version are stale. */
  version = 0;

  /**
   * Store a slot's payload. It must be the store's own object (no caller holds it): `shared()`
   * freezes it on first read so readers can share it without copying.
   */
  set(slot: number, payload: Payload | undefined): void {
    this.payloads[slot] = payload;
    for (const column of this.columns.values()) column.set(slot, payload);
    this.version++;
  }

  private column(path: string): PathColumn {
    let column = this.columns.get(path);
    if (!column) {
      column = new PathColumn(path);
      for (let slot = 0; slot < this.payloads.length; slot++) {
        const p = this.payloads[slot];
        if (p !== undefined) column.set(slot, p);
      }
      this.columns.set(path, column);
    }
    return column;
  }

  /**
   * Live slots matching a validated filter, as a bitmap and a list. The last few results are
   * cached until the next write (repeated filters, e.g. paging or a dashboard's, cost nothing).
   */
  evaluate(filter: Filter, space: SlotSpace): FilterMatch {
    const key = JSON.stringify(filter);
    const hit = this.cache.get(key);
    if (hit && hit.version === this.version && hit.mask.length >= space.capacity) return hit;
    const mask = this.filterBits(filter, space);
    let count = 0;
    const alive = space.alive;
    for (let i = 0; i < space.capacity; i++) {
      const b = (mask[i] as number) & (alive[i] as number);
      mask[i] = b;
      count += b;
    }
    const slots = new Int32Array(count);
    for (let i = 0, n = 0; n < count; i++) if (mask[i] === 1) slots[n++] = i;
    if (this.cache.size >= 16) this.cache.delete(this.cache.keys().next().value as string);
    const entry = { version: this.version, mask, count, slots };
    this.cache.set(key, entry);
    return entry;
  }

  private filterBits(filter: Filter, space: SlotSpace): Uint8Array {
    const n = space.capacity;
    const out = new Uint8Array(n).fill(1);
    for (const c of clauseList(filter.must)) andInto(out, this.conditionBits(c, space));
    const should = clauseList(filter.should);
    if (should.length > 0) {
      const any = new Uint8Array(n);
      for (const c of should) orInto(any, this.conditionBits(c, space));
      andInto(out, any);
    }
    for (const c of clauseList(filter.must_not)) {
      const bits = this.conditionBits(c, space);
      for (let i = 0; i < n; i++) if (bits[i]) out[i] = 0;
    }
    if (filter.min_should) {
      const counts = new Uint16Array(n);
      for (const c of filter.min_should.conditions) {
        const bits = this.conditionBits(c, space);
        for (let i = 0; i < n; i++) counts[i] = (counts[i] as number) + (bits[i] as number);
      }
      const min = filter.min_should.min_count;
      for (let i = 0; i < n; i++) if ((counts[i] as number) < min) out[i] = 0;
    }
    return out;
  }

  private conditionBits(cond: Condition, space: SlotSpace): Uint8Array {
    const n = space.capacity;
    if ("key" in cond) return this.fieldBits(cond, space);
    if ("is_empty" in cond && typeof cond.is_empty === "object" && cond.is_empty !== null) {
      return this.scan(this.column(cond.is_empty.key), n, isEmptyRaw, true);
    }
    if ("is_null" in cond && typeof cond.is_null === "object" && cond.is_null !== null) {
      return this.scan(this.column(cond.is_null.key), n, isNullRaw, false);
    }
    if ("has_id" in cond) {
      const bits = new Uint8Array(n);
      for (const id of cond.has_id) {
        const slot = space.slotOf(normalizePointId(id));
        if (slot !== undefined) bits[slot] = 1;
      }
      return bits;
    }
    if ("nested" in cond) {
      // Rare and per-element by nature: evaluated on the parsed payload objects.
      const predicate = compileFilter({ must: [cond] });
      const bits = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const p = this.payloads[i];
        if (p !== undefined && predicate(space.idOf(i), p)) bits[i] = 1;
      }
      return bits;
    }
    return this.filterBits(cond as Filter, space);
  }

  /** Bits where `test(raw)` holds; slots without a payload get `missing`. */
  private scan(
    column: PathColumn,
    n: number,
    test: (raw: unknown[]) => boolean,
    missing: boolean,
  ): Uint8Array {
    const bits = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const raw = column.raw[i];
      if (raw === undefined ? missing : test(raw)) bits[i] = 1;
    }
    return bits;
  }

  private fieldBits(cond: FieldCondition, space: SlotSpace): Uint8Array {
    const n = space.capacity;
    const column = this.column(cond.key);
    let out: Uint8Array | null = null;
    const and = (bits: Uint8Array) => {
      if (out === null) out = bits;
      else andInto(out, bits);
    };
    if (cond.match) and(this.matchBits(cond.match, column, n));
    if (cond.range) {
      const r = cond.range as RangeCondition;
      and(this.scan(column, n, (raw) => anyLeaf(raw, (v) => inRange(r, v)), false));
    }
    if (cond.values_count) {
      const vc = cond.values_count;
      and(this.scan(column, n, (raw) => inRange(vc, countLeaves(raw)), inRange(vc, 0)));
    }
    if (cond.is_empty !== undefined && cond.is_empty !== null) {
      const want = cond.is_empty;
      and(this.scan(column, n, (raw) => isEmptyRaw(raw) === want, want));
    }
    if (cond.is_null !== undefined && cond.is_null !== null) {
      const want = cond.is_null;
      and(this.scan(column, n, (raw) => isNullRaw(raw) === want, !want));
    }
    return out ?? new Uint8Array(n);
  }

  private matchBits(match: Match, column: PathColumn, n: number): Uint8Array {
    if ("value" in match || "any" in match) {
      const wanted = "value" in match ? [match.value] : (match.any as unknown[]);
      const bits = new Uint8Array(n);
      for (const w of wanted) {
        const key = scalarKey(w);
        const slots = key === null ? undefined : column.postings.get(key);
        if (slots) for (const s of slots) if (s < n) bits[s] = 1;
      }
      return bits;
    }
    return this.scan(column, n, (raw) => anyLeaf(raw, (v) => matchLeaf(match, v)), false);
  }
}

function andInto(out: Uint8Array, bits: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) & (bits[i] ?? 0);
}

function orInto(out: Uint8Array, bits: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) | (bits[i] ?? 0);
}
