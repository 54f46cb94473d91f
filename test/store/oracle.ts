/**
 * Brute-force reference for the contract tests: Qdrant filter semantics written directly
 * from the definitions, independently of src/store/filter.ts and the stores' indexes.
 */
import type { Condition, Filter, Payload, PointId } from "../../src/store/contract.js";

function valuesAt(payload: unknown, key: string): unknown[] {
  let cur: unknown[] = [payload];
  for (const seg of key.split(".")) {
    const all = seg.endsWith("[]");
    const name = all ? seg.slice(0, -2) : seg;
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) continue;
      const child = (v as Record<string, unknown>)[name];
      if (child === undefined) continue;
      if (!all) next.push(child);
      else if (Array.isArray(child)) next.push(...child);
    }
    cur = next;
  }
  return cur;
}

const flat = (raw: unknown[]) => raw.flatMap((v) => (Array.isArray(v) ? v : [v]));
const list = (c: Condition | Condition[] | null | undefined): Condition[] =>
  c == null ? [] : Array.isArray(c) ? c : [c];
const sameScalar = (a: unknown, b: unknown) => typeof a === typeof b && a === b;

function holds(c: Condition, id: PointId, payload: Payload): boolean {
  if ("key" in c) {
    const raw = valuesAt(payload, c.key);
    const leaves = flat(raw);
    if (c.match) {
      const m = c.match;
      let ok = false;
      if ("value" in m) ok = leaves.some((v) => sameScalar(v, m.value));
      else if ("any" in m) ok = leaves.some((v) => (m.any as unknown[]).some((x) => sameScalar(v, x)));
      else if ("except" in m)
        ok = leaves.some((v) => v !== null && !(m.except as unknown[]).some((x) => sameScalar(v, x)));
      else if ("text" in m) ok = leaves.some((v) => typeof v === "string" && v.includes(m.text));
      if (!ok) return false;
    }
    if (c.range) {
      const r = c.range;
      const ok = leaves.some(
        (v) =>
          typeof v === "number" &&
          (r.gt == null || v > r.gt) &&
          (r.gte == null || v >= r.gte) &&
          (r.lt == null || v < r.lt) &&
          (r.lte == null || v <= r.lte),
      );
      if (!ok) return false;
    }
    return true;
  }
  if ("is_empty" in c && typeof c.is_empty === "object" && c.is_empty) {
    return valuesAt(payload, c.is_empty.key).every((v) => v === null || (Array.isArray(v) && v.length === 0));
  }
  if ("is_null" in c && typeof c.is_null === "object" && c.is_null) {
    return valuesAt(payload, c.is_null.key).some((v) => v === null);
  }
  if ("has_id" in c) return c.has_id.some((x) => (typeof x === "string" ? x.toLowerCase() : x) === id);
  if ("nested" in c) {
    const n = c.nested;
    return flat(valuesAt(payload, n.key)).some(
      (el) =>
        el !== null && typeof el === "object" && !Array.isArray(el) && matches(n.filter, id, el as Payload),
    );
  }
  return matches(c as Filter, id, payload);
}

/** Does the point match the filter? */
export function matches(f: Filter | null | undefined, id: PointId, payload: Payload): boolean {
  if (!f) return true;
  if (!list(f.must).every((c) => holds(c, id, payload))) return false;
  const should = list(f.should);
  if (should.length > 0 && !should.some((c) => holds(c, id, payload))) return false;
  if (list(f.must_not).some((c) => holds(c, id, payload))) return false;
  if (
    f.min_should &&
    f.min_should.conditions.filter((c) => holds(c, id, payload)).length < f.min_should.min_count
  ) {
    return false;
  }
  return true;
}

/** Cosine similarity. */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}
