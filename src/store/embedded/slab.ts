/**
 * The vector slab of one embedded collection: every point's vector, row `slot` at
 * `slot * dims`, in a WebAssembly memory so exact scans run in the SIMD kernels of
 * kernels.wat (≈3× the plain JavaScript loop: 100k × 384-d scored in ≈17 ms instead of 50).
 *
 * The memory is shared (SharedArrayBuffer-backed), so a search thread can score the rows in
 * place (search-thread.ts): each thread has its own scratch area (query, slot list, scores).
 * Layout: [scratch 0 | scratch 1 | rows...]; scratch 0 is the owner's, 1 the search thread's.
 *
 * A wasm32 memory stops at 4 GiB; a slab that would pass it (or a runtime without WebAssembly
 * SIMD or shared memories) moves to a plain ArrayBuffer scored by the JavaScript kernels, with
 * the same results, and is searched on the owner's thread only.
 */
import { KERNELS_WASM_BASE64 } from "./kernels-wasm.js";
import { dotRow, l2sqRow, type TopK } from "./vectors.js";

/** Rows scored per kernel call: bounds the scratch area (2 × 16 KiB). */
const CHUNK = 4096;
const PAGE = 65_536;
const MAX_PAGES = 65_536;
/** Scratch areas: the owning thread's and one search thread's. */
const SCRATCH_AREAS = 2;

interface Kernels {
  score_slots(
    slab: number,
    q: number,
    dims: number,
    slots: number,
    n: number,
    out: number,
    metric: number,
  ): void;
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled kernels, or null when this runtime cannot run them (no SIMD). */
function kernelModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = Buffer.from(KERNELS_WASM_BASE64, "base64");
    compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export type Metric = "dot" | "l2sq";

/** What another thread needs to attach to a slab: its memory (shared) and row width. */
export interface SharedSlab {
  memory: WasmMemory;
  dims: number;
}

export class VectorSlab {
  /** Rows the slab can hold without growing. */
  rowCapacity = 0;
  private memory: WasmMemory | null = null;
  private kernels: Kernels | null = null;
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private floats!: Float32Array;
  /** Views of the scratch area, re-made when the memory grows (its buffer changes then). */
  private slotsView!: Int32Array;
  private scoresView!: Float32Array;
  private readonly queryOffset: number;
  private readonly slotsOffset: number;
  private readonly scoresOffset: number;
  private readonly slabOffset: number;

  constructor(
    readonly dims: number,
    /** Force the JavaScript kernels (tests compare both paths). */
    useWasm = true,
    /** Attach to another thread's slab (its shared memory) with the search thread's scratch. */
    attach?: SharedSlab,
  ) {
    const scratchBytes = roundUp(roundUp(dims * 4, 64) + CHUNK * 8, 64);
    this.queryOffset = attach ? scratchBytes : 0;
    this.slotsOffset = this.queryOffset + roundUp(dims * 4, 64);
    this.scoresOffset = this.slotsOffset + CHUNK * 4;
    this.slabOffset = SCRATCH_AREAS * scratchBytes;
    const module = useWasm || attach ? kernelModule() : null;
    if (module && wasm) {
      try {
        this.memory =
          attach?.memory ??
          new wasm.Memory({
            initial: Math.ceil(this.slabOffset / PAGE),
            maximum: MAX_PAGES,
            shared: true,
          });
        const instance = new wasm.Instance(module, { env: { memory: this.memory } });
        this.kernels = instance.exports as unknown as Kernels;
      } catch {
        // The address space for another wasm memory may be exhausted: fall back to JS.
        this.memory = null;
        this.kernels = null;
      }
    }
    if (attach && !this.memory) throw new Error("cannot attach to the slab: no WebAssembly SIMD kernels");
    this.buffer = this.memory ? this.memory.buffer : new ArrayBuffer(this.slabOffset);
    this.remakeViews();
    if (attach) this.refresh();
  }

  /** The memory and row width a search thread attaches to, or null once in plain memory. */
  shared(): SharedSlab | null {
    return this.memory ? { memory: this.memory, dims: this.dims } : null;
  }

  /**
   * On an attached slab: see rows the owner added since (a shared memory grows in place,
   * but each thread's view of it has the length it had when taken).
   */
  refresh(): void {
    if (!this.memory) return;
    const buffer = this.memory.buffer;
    if (buffer.byteLength !== this.buffer.byteLength) {
      this.buffer = buffer;
      this.remakeViews();
    }
    this.rowCapacity = Math.floor((this.buffer.byteLength - this.slabOffset) / (this.dims * 4));
  }

  private remakeViews(): void {
    this.floats = new Float32Array(this.buffer);
    this.slotsView = new Int32Array(this.buffer, this.slotsOffset, CHUNK);
    this.scoresView = new Float32Array(this.buffer, this.scoresOffset, CHUNK);
  }

  /** True when scans run in the WebAssembly kernels. */
  get simd(): boolean {
    return this.kernels !== null;
  }

  /** All rows as one Float32Array (a view: invalid after the slab grows). */
  get rows(): Float32Array {
    return new Float32Array(this.buffer, this.slabOffset, this.rowCapacity * this.dims);
  }

  /** Make room for rows 0..n-1; grows by half again to keep appends amortised O(1). */
  ensureRows(n: number, exact = false): void {
    if (n <= this.rowCapacity) return;
    const rows = exact ? n : Math.max(n, Math.ceil(this.rowCapacity * 1.5), 1024);
    const bytes = this.slabOffset + rows * this.dims * 4;
    if (this.memory) {
      const pages = Math.ceil(bytes / PAGE);
      const have = this.memory.buffer.byteLength / PAGE;
      if (pages <= MAX_PAGES) {
        try {
          if (pages > have) this.memory.grow(pages - have);
          this.buffer = this.memory.buffer;
          this.remakeViews();
          this.rowCapacity = rows;
          return;
        } catch {
          // Could not grow (address space): continue in plain memory below.
        }
      }
      this.memory = null;
      this.kernels = null;
    }
    const next: ArrayBuffer = new ArrayBuffer(bytes);
    new Uint8Array(next).set(new Uint8Array(this.buffer, 0, Math.min(this.buffer.byteLength, bytes)));
    this.buffer = next;
    this.remakeViews();
    this.rowCapacity = rows;
  }

  /** Store a vector in row `row` (which must exist). */
  set(row: number, vector: ArrayLike<number>): void {
    this.floats.set(vector, this.slabOffset / 4 + row * this.dims);
  }

  /** Store a vector given as its float32 bytes (a SQLite blob). */
  setBytes(row: number, bytes: Uint8Array): void {
    new Uint8Array(this.buffer).set(bytes, this.slabOffset + row * this.dims * 4);
  }

  /** A copy of row `row`. */
  get(row: number): Float32Array {
    const start = this.slabOffset / 4 + row * this.dims;
    return this.floats.slice(start, start + this.dims);
  }

  /**
   * The rows held in `top`, rescored against `q` in double precision, best first (ties: lower
   * slot first). The kernels score in float32; rescoring the k results makes a point's score
   * independent of the plan that found it (exact scan, HNSW, tail).
   */
  rescore(top: TopK, q: Float32Array, metric: Metric): Array<{ slot: number; score: number }> {
    return top
      .sorted()
      .map(({ slot }) => ({ slot, score: this.score(slot, q, metric) }))
      .sort((a, b) => b.score - a.score || a.slot - b.slot);
  }

  /** Exact score of one row in double precision (higher = closer: Euclid negated). */
  score(row: number, q: Float32Array, metric: Metric): number {
    const view = this.rows;
    return metric === "dot" ? dotRow(view, row, q, this.dims) : -l2sqRow(view, row, q, this.dims);
  }

  /** The slot list the next scoreSlots() reads (CHUNK entries; a view into the slab's memory). */
  get slots(): Int32Array {
    return this.slotsView;
  }

  /** Load the query the next scoreSlots() calls score against. */
  setQuery(q: Float32Array): void {
    this.floats.set(q, this.queryOffset / 4);
  }

  /**
   * Score the first n rows listed in `slots` against the loaded query, float32, higher =
   * closer (squared distances negated), in the first n entries of the returned view, which
   * the next call overwrites.
   */
  scoreSlots(n: number, metric: Metric): Float32Array {
    const scores = this.scoresView;
    if (this.kernels) {
      this.kernels.score_slots(
        this.slabOffset,
        this.queryOffset,
        this.dims,
        this.slotsOffset,
        n,
        this.scoresOffset,
        metric === "dot" ? 0 : 1,
      );
    } else {
      const view = this.rows;
      const slots = this.slotsView;
      const q = new Float32Array(this.buffer, this.queryOffset, this.dims);
      for (let i = 0; i < n; i++) {
        const s = slots[i] as number;
        scores[i] = metric === "dot" ? dotRow(view, s, q, this.dims) : l2sqRow(view, s, q, this.dims);
      }
    }
    if (metric === "l2sq") for (let i = 0; i < n; i++) scores[i] = -(scores[i] as number);
    return scores;
  }

  /** Push into `top` every row r in [0, capacity) with `live[r]` at 1, scored against the loaded query. */
  scanInto(top: TopK, metric: Metric, capacity: number, live: Uint8Array): void {
    const slots = this.slots;
    let n = 0;
    for (let s = 0; s < capacity; s++) {
      if (live[s] !== 1) continue;
      slots[n++] = s;
      if (n === CHUNK) {
        this.offer(top, metric, n);
        n = 0;
      }
    }
    if (n > 0) this.offer(top, metric, n);
  }

  /** Push the listed rows (those with `mask[row]` at 1, when given) into `top`, scored against the loaded query. */
  scoreListInto(top: TopK, metric: Metric, rows: Iterable<number>, mask: Uint8Array | null = null): void {
    const slots = this.slots;
    let n = 0;
    for (const s of rows) {
      if (mask !== null && mask[s] !== 1) continue;
      slots[n++] = s;
      if (n === CHUNK) {
        this.offer(top, metric, n);
        n = 0;
      }
    }
    if (n > 0) this.offer(top, metric, n);
  }

  private offer(top: TopK, metric: Metric, n: number): void {
    const scores = this.scoreSlots(n, metric);
    const slots = this.slots;
    for (let i = 0; i < n; i++) {
      const score = scores[i] as number;
      if (score > top.floor) top.push(slots[i] as number, score);
    }
  }
}
