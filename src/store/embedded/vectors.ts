/**
 * Vector kernels for the embedded store: normalisation, scoring and top-k selection over a
 * Float32Array slab (row i at offset i * dims).
 */
import type { Distance } from "../contract.js";

/** Dot product of row `row` of `slab` with `q` (4-way unrolled: ~1.6x faster than the plain loop in V8). */
export function dotRow(slab: Float32Array, row: number, q: Float32Array, dims: number): number {
  const o = row * dims;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end = dims - (dims % 4);
  for (; i < end; i += 4) {
    s0 += (slab[o + i] as number) * (q[i] as number);
    s1 += (slab[o + i + 1] as number) * (q[i + 1] as number);
    s2 += (slab[o + i + 2] as number) * (q[i + 2] as number);
    s3 += (slab[o + i + 3] as number) * (q[i + 3] as number);
  }
  for (; i < dims; i++) s0 += (slab[o + i] as number) * (q[i] as number);
  return s0 + s1 + s2 + s3;
}

/** Squared Euclidean distance of row `row` of `slab` to `q`. */
export function l2sqRow(slab: Float32Array, row: number, q: Float32Array, dims: number): number {
  const o = row * dims;
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  const end = dims - (dims % 2);
  for (; i < end; i += 2) {
    const a = (slab[o + i] as number) - (q[i] as number);
    const b = (slab[o + i + 1] as number) - (q[i + 1] as number);
    s0 += a * a;
    s1 += b * b;
  }
  for (; i < dims; i++) {
    const a = (slab[o + i] as number) - (q[i] as number);
    s0 += a * a;
  }
  return s0 + s1;
}

/**
 * A float32 copy of `v`, scaled to unit length for Cosine (the store scores Cosine as a dot
 * product), after checking every element: returns the index of the first element that is not
 * a number, or not a finite float32 (NaN, ±Infinity, or beyond float32's ±3.4e38, which would
 * be stored as Infinity), instead of a vector.
 */
export function prepareFiniteVector(v: ArrayLike<number>, distance: Distance): Float32Array | number {
  // A plain array may hold anything (null, "1"), which float32 conversion would turn into numbers.
  if (!ArrayBuffer.isView(v)) {
    for (let i = 0; i < v.length; i++) if (typeof v[i] !== "number") return i;
  }
  // The constructor copies a typed array in one block; Float32Array.from walks an iterator.
  const out = new Float32Array(v);
  const n = sumOfSquares(out);
  // float32 squares cannot overflow a double: a non-finite sum means a non-finite element.
  if (!Number.isFinite(n)) return out.findIndex((x) => !Number.isFinite(x));
  if (distance === "Cosine") scaleToUnit(out, n);
  return out;
}

function sumOfSquares(v: Float32Array): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += (v[i] as number) * (v[i] as number);
  return n;
}

/** Divide `v` by its norm, given its sum of squares (a zero vector stays zero). */
function scaleToUnit(v: Float32Array, sumSquares: number): void {
  const norm = Math.sqrt(sumSquares);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
}

/**
 * Keeps the best `k` (slot, score) pairs seen. "Better" is higher score, so Euclid callers
 * push negated distances. A binary min-heap on score: O(log k) per accepted candidate.
 */
export class TopK {
  private readonly slots: Int32Array;
  private readonly scores: Float64Array;
  size = 0;

  constructor(readonly k: number) {
    this.slots = new Int32Array(Math.max(1, k));
    this.scores = new Float64Array(Math.max(1, k));
  }

  /** Lowest kept score when full, else -Infinity: candidates below it can be skipped. */
  get floor(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : (this.scores[0] as number);
  }

  push(slot: number, score: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if ((this.scores[p] as number) <= score) break;
        this.scores[i] = this.scores[p] as number;
        this.slots[i] = this.slots[p] as number;
        i = p;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
      return;
    }
    if (score <= (this.scores[0] as number)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (this.scores[r] as number) < (this.scores[l] as number) ? r : l;
      if ((this.scores[c] as number) >= score) break;
      this.scores[i] = this.scores[c] as number;
      this.slots[i] = this.slots[c] as number;
      i = c;
    }
    this.scores[i] = score;
    this.slots[i] = slot;
  }

  /** Results best first. */
  sorted(): Array<{ slot: number; score: number }> {
    const out: Array<{ slot: number; score: number }> = [];
    for (let i = 0; i < this.size; i++)
      out.push({ slot: this.slots[i] as number, score: this.scores[i] as number });
    out.sort((a, b) => b.score - a.score || a.slot - b.slot);
    return out;
  }
}
