/**
 * Serving side of the HNSW index: the graph of an hnswlib index file, searched over the
 * collection's own vector slab.
 *
 * hnswlib builds the index (in a worker, see hnsw.ts) and writes it in its file format; the
 * serving process reads only the graph from that file (links, labels, levels) and leaves
 * the vectors out, since the slab already holds them. That halves the store's memory
 * (hnswlib kept a second copy of every vector: ≈154 MB at 100k × 384-d) and lets filters
 * run inside the traversal without a JavaScript callback per visited node.
 *
 * The search is hnswlib's (greedy descent through the upper levels, then a best-first beam
 * of width ef on level 0, filtered points traversed but not returned), with each node's
 * unvisited neighbours scored in one SIMD kernel call.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { Metric, VectorSlab } from "./slab.js";

/** Size of hnswlib's file header (hnswalg.h saveIndex: six size_t, int, uint32, four size_t, double). */
const HEADER_BYTES = 96;
/** Level-0 records read per chunk while loading (≈7 MB at 384-d). */
const LOAD_CHUNK = 4096;
const DELETE_MARK = 0x01;

/** The graph's arrays (in shared memory) and shape: what the search thread needs to search it. */
export interface SharedGraph {
  count: number;
  maxM: number;
  maxM0: number;
  maxLevel: number;
  entry: number;
  level0: Int32Array;
  labelOf: Int32Array;
  deleted: Uint8Array;
  upperStart: Int32Array;
  upper: Int32Array;
}

// The graph is read-only once loaded, so its arrays live in shared memory: the search thread
// walks the same graph without a copy.
function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

export class HnswFormatError extends Error {
  override readonly name = "HnswFormatError";
}

export class HnswGraph {
  private constructor(
    readonly count: number,
    private readonly maxM: number,
    private readonly maxM0: number,
    private readonly maxLevel: number,
    private readonly entry: number,
    /** count × (maxM0 + 1): neighbour count, then internal ids. */
    private readonly level0: Int32Array,
    /** Internal id → label (the point's slot). */
    private readonly labelOf: Int32Array,
    private readonly deleted: Uint8Array,
    /** Internal id → offset of its level-1 list in `upper`, or -1. */
    private readonly upperStart: Int32Array,
    private readonly upper: Int32Array,
  ) {
    this.visited = new Uint32Array(count);
  }

  private visited: Uint32Array;
  private epoch = 0;

  /** Read the graph of an hnswlib index file written by `saveIndex` (hnswlib 0.8). */
  static read(file: string): HnswGraph {
    const fd = openSync(file, "r");
    try {
      let position = 0;
      const read = (bytes: number): Buffer => {
        const buf = Buffer.allocUnsafe(bytes);
        let got = 0;
        while (got < bytes) {
          const n = readSync(fd, buf, got, bytes - got, position + got);
          if (n === 0) throw new HnswFormatError(`${file}: truncated at byte ${position + got}`);
          got += n;
        }
        position += bytes;
        return buf;
      };
      const h = read(HEADER_BYTES);
      const size = (offset: number) => Number(h.readBigUInt64LE(offset));
      const offsetLevel0 = size(0);
      const count = size(16);
      const perElement = size(24);
      const labelOffset = size(32);
      const offsetData = size(40);
      const maxLevel = h.readInt32LE(48);
      const entry = h.readUInt32LE(52);
      const maxM = size(56);
      const maxM0 = size(64);
      const linksPerElement = maxM * 4 + 4;
      if (
        offsetLevel0 !== 0 ||
        maxM0 < 1 ||
        maxM0 > 4096 ||
        offsetData !== maxM0 * 4 + 4 ||
        labelOffset >= perElement
      ) {
        throw new HnswFormatError(`${file}: not an hnswlib index file (unexpected header)`);
      }
      if (count > 0 && (entry >= count || maxLevel < 0)) {
        throw new HnswFormatError(`${file}: entry point ${entry} outside ${count} elements`);
      }
      const stride0 = maxM0 + 1;
      const level0 = sharedInt32(count * stride0);
      const labelOf = sharedInt32(count);
      const deleted = new Uint8Array(new SharedArrayBuffer(count));
      for (let first = 0; first < count; first += LOAD_CHUNK) {
        const n = Math.min(LOAD_CHUNK, count - first);
        const chunk = read(n * perElement);
        for (let i = 0; i < n; i++) {
          const base = i * perElement;
          const id = first + i;
          const links = chunk.readUInt16LE(base);
          if (links > maxM0) throw new HnswFormatError(`${file}: element ${id} has ${links} links`);
          deleted[id] = (chunk[base + 2] as number) & DELETE_MARK;
          const out = id * stride0;
          level0[out] = links;
          for (let j = 0; j < links; j++) level0[out + 1 + j] = chunk.readInt32LE(base + 4 + 4 * j);
          labelOf[id] = Number(chunk.readBigUInt64LE(base + labelOffset));
        }
      }
      const upperStart = sharedInt32(count).fill(-1);
      const lists: Int32Array[] = [];
      let upperLength = 0;
      for (let id = 0; id < count; id++) {
        const bytes = read(4).readUInt32LE(0);
        if (bytes === 0) continue;
        if (bytes % linksPerElement !== 0)
          throw new HnswFormatError(`${file}: element ${id} has a bad link list`);
        const raw = read(bytes);
        const list = new Int32Array(bytes / 4);
        for (let level = 0; level < bytes / linksPerElement; level++) {
          const o = level * linksPerElement;
          const idx = level * (maxM + 1);
          const links = raw.readUInt16LE(o);
          if (links > maxM) throw new HnswFormatError(`${file}: element ${id} has ${links} links`);
          list[idx] = links;
          for (let j = 0; j < links; j++) list[idx + 1 + j] = raw.readInt32LE(o + 4 + 4 * j);
        }
        upperStart[id] = upperLength;
        upperLength += list.length;
        lists.push(list);
      }
      const upper = sharedInt32(upperLength);
      let at = 0;
      for (const list of lists) {
        upper.set(list, at);
        at += list.length;
      }
      for (let i = 0; i < level0.length; i += stride0) {
        const links = level0[i] as number;
        for (let j = 1; j <= links; j++) {
          const v = level0[i + j] as number;
          if (v < 0 || v >= count) throw new HnswFormatError(`${file}: a link points outside the graph`);
        }
      }
      return new HnswGraph(count, maxM, maxM0, maxLevel, entry, level0, labelOf, deleted, upperStart, upper);
    } finally {
      closeSync(fd);
    }
  }

  /** The arrays and shape another thread needs to search this graph (no copy). */
  share(): SharedGraph {
    return {
      count: this.count,
      maxM: this.maxM,
      maxM0: this.maxM0,
      maxLevel: this.maxLevel,
      entry: this.entry,
      level0: this.level0,
      labelOf: this.labelOf,
      deleted: this.deleted,
      upperStart: this.upperStart,
      upper: this.upper,
    };
  }

  /** A graph over arrays another thread shared (its own visited marks). */
  static fromShared(g: SharedGraph): HnswGraph {
    return new HnswGraph(
      g.count,
      g.maxM,
      g.maxM0,
      g.maxLevel,
      g.entry,
      g.level0,
      g.labelOf,
      g.deleted,
      g.upperStart,
      g.upper,
    );
  }

  /** Labels of the elements not marked deleted. */
  labels(): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.count; id++) if (!this.deleted[id]) out.push(this.labelOf[id] as number);
    return out;
  }

  /**
   * The best `k` labels for the query already loaded in `slab` (higher score = closer),
   * among labels with `servable[label]` (and `mask[label]` when given) at 1.
   */
  search(
    slab: VectorSlab,
    metric: Metric,
    k: number,
    ef: number,
    servable: Uint8Array,
    mask: Uint8Array | null,
  ): Array<{ slot: number; score: number }> {
    if (this.count === 0) return [];
    const width = Math.max(ef, k);
    const slots = slab.slots;
    let current = this.entry;
    slots[0] = this.labelOf[current] as number;
    let currentScore = slab.scoreSlots(1, metric)[0] as number;

    // Greedy descent: move to the best neighbour while it improves.
    for (let level = this.maxLevel; level >= 1; level--) {
      let changed = true;
      while (changed) {
        changed = false;
        const start = this.upperStart[current] as number;
        if (start < 0) break;
        const o = start + (level - 1) * (this.maxM + 1);
        const links = this.upper[o] as number;
        for (let j = 0; j < links; j++) slots[j] = this.labelOf[this.upper[o + 1 + j] as number] as number;
        const scores = slab.scoreSlots(links, metric);
        for (let j = 0; j < links; j++) {
          if ((scores[j] as number) > currentScore) {
            currentScore = scores[j] as number;
            current = this.upper[o + 1 + j] as number;
            changed = true;
          }
        }
      }
    }

    const accept = (id: number): boolean => {
      if (this.deleted[id]) return false;
      const label = this.labelOf[id] as number;
      return servable[label] === 1 && (mask === null || mask[label] === 1);
    };
    this.epoch++;
    if (this.epoch === 0xffffffff) {
      this.visited.fill(0);
      this.epoch = 1;
    }
    const visited = this.visited;
    const tag = this.epoch;
    const candidates = new Heap(true);
    const top = new Heap(false);
    let worst = Number.NEGATIVE_INFINITY;
    if (accept(current)) {
      top.push(current, currentScore);
      worst = currentScore;
    }
    candidates.push(current, currentScore);
    visited[current] = tag;
    const stride0 = this.maxM0 + 1;
    const ids = new Int32Array(this.maxM0);
    while (candidates.size > 0) {
      const candidateScore = candidates.peekScore();
      // Filtered-out points are traversed, not returned: stop only once `width` accepted
      // points are held and the best candidate left cannot improve them (hnswlib's rule).
      if (candidateScore < worst && top.size === width) break;
      const node = candidates.pop();
      const o = node * stride0;
      const links = this.level0[o] as number;
      let n = 0;
      for (let j = 1; j <= links; j++) {
        const id = this.level0[o + j] as number;
        if (visited[id] === tag) continue;
        visited[id] = tag;
        ids[n] = id;
        slots[n] = this.labelOf[id] as number;
        n++;
      }
      if (n === 0) continue;
      const scores = slab.scoreSlots(n, metric);
      for (let j = 0; j < n; j++) {
        const score = scores[j] as number;
        if (top.size < width || score > worst) {
          const id = ids[j] as number;
          candidates.push(id, score);
          if (accept(id)) top.push(id, score);
          if (top.size > width) top.pop();
          if (top.size > 0) worst = top.peekScore();
        }
      }
    }
    const out: Array<{ slot: number; score: number }> = [];
    while (top.size > 0) {
      const score = top.peekScore();
      out.push({ slot: this.labelOf[top.pop()] as number, score });
    }
    out.reverse();
    return out.slice(0, k);
  }
}

/** Binary heap of (id, score): max-heap when `best` (best first), else min-heap (worst first). */
class Heap {
  private ids = new Int32Array(64);
  private scores = new Float64Array(64);
  size = 0;

  constructor(private readonly best: boolean) {}

  private above(a: number, b: number): boolean {
    return this.best ? a > b : a < b;
  }

  peekScore(): number {
    return this.scores[0] as number;
  }

  push(id: number, score: number): void {
    if (this.size === this.ids.length) {
      const ids = new Int32Array(this.size * 2);
      ids.set(this.ids);
      this.ids = ids;
      const scores = new Float64Array(this.size * 2);
      scores.set(this.scores);
      this.scores = scores;
    }
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(score, this.scores[p] as number)) break;
      this.ids[i] = this.ids[p] as number;
      this.scores[i] = this.scores[p] as number;
      i = p;
    }
    this.ids[i] = id;
    this.scores[i] = score;
  }

  /** Remove the top; returns its id. */
  pop(): number {
    const topId = this.ids[0] as number;
    const n = --this.size;
    if (n === 0) return topId;
    const id = this.ids[n] as number;
    const score = this.scores[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.above(this.scores[r] as number, this.scores[l] as number) ? r : l;
      if (!this.above(this.scores[c] as number, score)) break;
      this.ids[i] = this.ids[c] as number;
      this.scores[i] = this.scores[c] as number;
      i = c;
    }
    this.ids[i] = id;
    this.scores[i] = score;
    return topId;
  }
}
