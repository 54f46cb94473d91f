/**
 * Filter validation and Qdrant-semantics evaluation on plain payload objects.
 *
 * `validateFilter` is run by every store before using a filter so a malformed one fails with
 * `invalid_filter` naming the offending path. `compileFilter` builds a predicate over
 * `(id, payload)`; the embedded store evaluates most conditions on its in-memory columns
 * instead and uses this only for `nested` conditions.
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
  StoreError,
  type ValuesCount,
} from "./contract.js";

// ---------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------

/** One step of a key path: `name`, `name[]` (every element) or `name[3]` (one element). */
export interface PathStep {
  key: string;
  /** undefined: no brackets; "all": `[]`; number: `[N]`. */
  index?: "all" | number;
}

const STEP = /^([^[\]]+)(?:\[(\d*)\])?$/;

/** Parse a dot path such as `tasks[].status` or `meta.owner`. Throws `invalid_filter`. */
export function parsePath(path: string, where = "key"): PathStep[] {
  if (typeof path !== "string" || path === "") throw invalid(where, "must be a non-empty string");
  return path.split(".").map((part) => {
    const m = STEP.exec(part);
    if (!m) throw invalid(where, `bad path segment ${JSON.stringify(part)} in ${JSON.stringify(path)}`);
    const key = m[1] as string;
    if (m[2] === undefined) return { key };
    return m[2] === "" ? { key, index: "all" } : { key, index: Number(m[2]) };
  });
}

/**
 * Values at `steps` in `payload`, Qdrant's rule: objects are walked by key, `[]` fans out over
 * array elements, a plain key never descends into an array. The result holds the raw values
 * found (an array at the end of the path is one raw value).
 */
export function resolvePath(payload: unknown, steps: PathStep[]): unknown[] {
  let current: unknown[] = [payload];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
      const child = (value as Record<string, unknown>)[step.key];
      if (child === undefined) continue;
      if (step.index === undefined) next.push(child);
      else if (Array.isArray(child)) {
        if (step.index === "all") next.push(...child);
        else if (step.index < child.length) next.push(child[step.index]);
      }
    }
    current = next;
  }
  return current;
}

/** Leaf values to test conditions against: raw values, with arrays flattened one level. */
export function leafValues(raw: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of raw) {
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

function invalid(where: string, what: string): StoreError {
  return new StoreError("store.filter", "invalid_filter", `invalid filter at ${where}: ${what}`);
}

const FILTER_KEYS = new Set(["must", "should", "must_not", "min_should"]);
const FIELD_KEYS = new Set(["key", "match", "range", "values_count", "is_empty", "is_null"]);

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** Conditions of a clause, accepting Qdrant's single-condition shorthand. */
export function clauseList(clause: Condition | Condition[] | null | undefined): Condition[] {
  if (clause === undefined || clause === null) return [];
  return Array.isArray(clause) ? clause : [clause];
}

/** Check a filter's shape; throws `invalid_filter` naming the path of the first problem. */
export function validateFilter(filter: unknown, where = "filter"): asserts filter is Filter {
  if (!isObject(filter)) throw invalid(where, "must be an object with must / should / must_not / min_should");
  for (const k of Object.keys(filter)) {
    if (!FILTER_KEYS.has(k))
      throw invalid(`${where}.${k}`, "unknown clause (expected must, should, must_not, min_should)");
  }
  for (const clause of ["must", "should", "must_not"] as const) {
    const c = filter[clause];
    if (c === undefined || c === null) continue;
    const list = Array.isArray(c) ? c : [c];
    list.forEach((cond, i) => {
      validateCondition(cond, Array.isArray(c) ? `${where}.${clause}[${i}]` : `${where}.${clause}`);
    });
  }
  const ms = filter.min_should;
  if (ms !== undefined && ms !== null) {
    if (!isObject(ms) || !Array.isArray(ms.conditions))
      throw invalid(`${where}.min_should`, "needs conditions[] and min_count");
    if (typeof ms.min_count !== "number" || !Number.isInteger(ms.min_count) || ms.min_count < 1) {
      throw invalid(`${where}.min_should.min_count`, "must be an integer ≥ 1");
    }
    ms.conditions.forEach((cond, i) => {
      validateCondition(cond, `${where}.min_should.conditions[${i}]`);
    });
  }
}

function validateCondition(cond: unknown, where: string): void {
  if (!isObject(cond)) throw invalid(where, "condition must be an object");
  if ("key" in cond) {
    validateField(cond, where);
    return;
  }
  if ("is_empty" in cond || "is_null" in cond) {
    const k = "is_empty" in cond ? "is_empty" : "is_null";
    const arg = cond[k];
    if (!isObject(arg) || typeof arg.key !== "string")
      throw invalid(`${where}.${k}`, 'must be { "key": "field" }');
    parsePath(arg.key, `${where}.${k}.key`);
    return;
  }
  if ("has_id" in cond) {
    if (!Array.isArray(cond.has_id)) throw invalid(`${where}.has_id`, "must be an array of point ids");
    cond.has_id.forEach((id, i) => {
      try {
        normalizePointId(id);
      } catch {
        throw invalid(`${where}.has_id[${i}]`, `${JSON.stringify(id)} is not an unsigned integer or UUID`);
      }
    });
    return;
  }
  if ("nested" in cond) {
    const n = cond.nested;
    if (!isObject(n) || typeof n.key !== "string")
      throw invalid(`${where}.nested`, "must be { key, filter }");
    parsePath(n.key, `${where}.nested.key`);
    validateFilter(n.filter, `${where}.nested.filter`);
    return;
  }
  const keys = Object.keys(cond);
  if (keys.length === 0 || keys.every((k) => FILTER_KEYS.has(k))) {
    validateFilter(cond, where);
    return;
  }
  throw invalid(where, `unknown condition with keys ${keys.join(", ")}`);
}

function validateField(cond: Record<string, unknown>, where: string): void {
  for (const k of Object.keys(cond))
    if (!FIELD_KEYS.has(k)) throw invalid(`${where}.${k}`, "unknown field-condition key");
  parsePath(cond.key as string, `${where}.key`);
  const given = ["match", "range", "values_count", "is_empty", "is_null"].filter(
    (k) => cond[k] !== undefined && cond[k] !== null,
  );
  if (given.length === 0) throw invalid(where, "needs one of match, range, values_count, is_empty, is_null");
  if (cond.match !== undefined && cond.match !== null) validateMatch(cond.match, `${where}.match`);
  for (const k of ["range", "values_count"] as const) {
    const r = cond[k];
    if (r === undefined || r === null) continue;
    if (!isObject(r)) throw invalid(`${where}.${k}`, "must be an object with gt/gte/lt/lte");
    for (const [b, v] of Object.entries(r)) {
      if (!["gt", "gte", "lt", "lte"].includes(b)) throw invalid(`${where}.${k}.${b}`, "unknown bound");
      if (v !== null && (typeof v !== "number" || !Number.isFinite(v)))
        throw invalid(`${where}.${k}.${b}`, "must be a number");
    }
  }
  for (const k of ["is_empty", "is_null"] as const) {
    if (cond[k] !== undefined && cond[k] !== null && typeof cond[k] !== "boolean")
      throw invalid(`${where}.${k}`, "must be a boolean");
  }
}

function validateMatch(m: unknown, where: string): void {
  if (!isObject(m)) throw invalid(where, "must be an object");
  if ("value" in m) {
    const v = m.value;
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v)))
      return;
    throw invalid(`${where}.value`, "must be a string, integer or boolean");
  }
  if ("text" in m) {
    if (typeof m.text !== "string") throw invalid(`${where}.text`, "must be a string");
    return;
  }
  for (const k of ["any", "except"] as const) {
    if (!(k in m)) continue;
    const list = m[k];
    const ok =
      Array.isArray(list) &&
      (list.every((x) => typeof x === "string") ||
        list.every((x) => typeof x === "number" && Number.isInteger(x)));
    if (!ok) throw invalid(`${where}.${k}`, "must be an array of strings or an array of integers");
    return;
  }
  throw invalid(where, "expected one of value, any, except, text");
}

// ---------------------------------------------------------------------------------------
// Evaluation on payload objects
// ---------------------------------------------------------------------------------------

/** A compiled filter: does the point with this id and payload match? */
export type PointPredicate = (id: PointId, payload: Payload) => boolean;

/** True when `v` equals the match scalar with Qdrant's typing (no cross-type equality). */
export function scalarEquals(v: unknown, target: unknown): boolean {
  return v === target && (typeof v === "string" || typeof v === "number" || typeof v === "boolean");
}

/** Match test of one leaf value (without the any-element rule; callers apply it). */
export function matchLeaf(match: Match, v: unknown): boolean {
  if ("value" in match) return scalarEquals(v, match.value);
  if ("any" in match) return (match.any as unknown[]).some((x) => scalarEquals(v, x));
  if ("except" in match) {
    if (v === null || v === undefined) return false;
    return !(match.except as unknown[]).some((x) => scalarEquals(v, x));
  }
  if ("text" in match) return typeof v === "string" && v.includes(match.text);
  return false;
}

/** Range test of one leaf value. */
export function inRange(r: RangeCondition | ValuesCount, v: unknown): boolean {
  if (typeof v !== "number" || Number.isNaN(v)) return false;
  if (r.gt !== undefined && r.gt !== null && !(v > r.gt)) return false;
  if (r.gte !== undefined && r.gte !== null && !(v >= r.gte)) return false;
  if (r.lt !== undefined && r.lt !== null && !(v < r.lt)) return false;
  if (r.lte !== undefined && r.lte !== null && !(v <= r.lte)) return false;
  return true;
}

/** True when the raw values at a path make the field "empty": missing, null, or []. */
export function isEmptyRaw(raw: unknown[]): boolean {
  return raw.every((v) => v === null || (Array.isArray(v) && v.length === 0));
}

/** True when some raw value at the path is null. */
export function isNullRaw(raw: unknown[]): boolean {
  return raw.some((v) => v === null);
}

/** Evaluate a field condition on the raw values found at its path. */
export function fieldConditionHolds(cond: FieldCondition, raw: unknown[]): boolean {
  if (cond.is_empty !== undefined && cond.is_empty !== null && isEmptyRaw(raw) !== cond.is_empty)
    return false;
  if (cond.is_null !== undefined && cond.is_null !== null && isNullRaw(raw) !== cond.is_null) return false;
  const leaves = cond.match || cond.range ? leafValues(raw) : [];
  if (cond.match && !leaves.some((v) => matchLeaf(cond.match as Match, v))) return false;
  if (cond.range && !leaves.some((v) => inRange(cond.range as RangeCondition, v))) return false;
  if (cond.values_count) {
    const n = leafValues(raw).filter((v) => v !== null).length;
    if (!inRange(cond.values_count, n)) return false;
  }
  return true;
}

/** Compile a (validated) filter into a predicate over `(id, payload)`. */
export function compileFilter(filter: Filter | null | undefined): PointPredicate {
  if (!filter) return () => true;
  validateFilter(filter);
  return compileValidated(filter);
}

function compileValidated(filter: Filter): PointPredicate {
  const must = clauseList(filter.must).map(compileCondition);
  const should = clauseList(filter.should).map(compileCondition);
  const mustNot = clauseList(filter.must_not).map(compileCondition);
  const minShould = filter.min_should
    ? { min: filter.min_should.min_count, conds: filter.min_should.conditions.map(compileCondition) }
    : null;
  return (id, payload) => {
    for (const c of must) if (!c(id, payload)) return false;
    if (should.length > 0 && !should.some((c) => c(id, payload))) return false;
    for (const c of mustNot) if (c(id, payload)) return false;
    if (minShould) {
      let n = 0;
      for (const c of minShould.conds) if (c(id, payload) && ++n >= minShould.min) break;
      if (n < minShould.min) return false;
    }
    return true;
  };
}

function compileCondition(cond: Condition): PointPredicate {
  if ("key" in cond) {
    const steps = parsePath(cond.key);
    return (_id, payload) => fieldConditionHolds(cond, resolvePath(payload, steps));
  }
  if ("is_empty" in cond && typeof cond.is_empty === "object" && cond.is_empty !== null) {
    const steps = parsePath(cond.is_empty.key);
    return (_id, payload) => isEmptyRaw(resolvePath(payload, steps));
  }
  if ("is_null" in cond && typeof cond.is_null === "object" && cond.is_null !== null) {
    const steps = parsePath(cond.is_null.key);
    return (_id, payload) => isNullRaw(resolvePath(payload, steps));
  }
  if ("has_id" in cond) {
    const ids = new Set(cond.has_id.map((id) => normalizePointId(id)));
    return (id) => ids.has(id);
  }
  if ("nested" in cond) {
    const steps = parsePath(cond.nested.key);
    const inner = compileValidated(cond.nested.filter);
    return (id, payload) =>
      leafValues(resolvePath(payload, steps)).some((el) => isObject(el) && inner(id, el as Payload));
  }
  return compileValidated(cond as Filter);
}
