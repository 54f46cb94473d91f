/**
 * In-memory serving state of one embedded collection: the vector slab, id ↔ slot maps,
 * payload columns and the HNSW index with what it covers. SQLite stays the source of truth;
 * everything here is rebuilt from it on open.
 */
import type { Distance, Payload, PointId } from "../contract.js";
import type { HnswGraph } from "./graph.js";
import { PayloadIndex, type SlotSpace } from "./payload-index.js";
import { type Metric, VectorSlab } from "./slab.js";

let nextUid = 1;

export class CollectionState implements SlotSpace {
  /** Identifies this in-memory state to the search thread (a reload makes a new one). */
  readonly uid = nextUid++;
  /**
   * Bumped by every change a search reads (vectors, payloads, liveness, index coverage): a
   * search run on the search thread is used only if this did not move while it ran.
   */
  version = 0;
  /** One past the highest slot in use. */
  capacity = 0;
  readonly slab: VectorSlab;
  alive: Uint8Array;
  /** Sequence number of each slot's last vector change. */
  seqOf: Float64Array;
  ids: Array<PointId | undefined> = [];
  readonly slotById = new Map<PointId, number>();
  liveCount = 0;
  readonly payloads = new PayloadIndex();

  /** Current HNSW index, the file it came from and the write sequence it reflects. */
  hnsw: HnswGraph | null = null;
  hnswFile: string | null = null;
  hnswSeq = -1;
  /** Labels present (not deleted) in the HNSW index. */
  inIndex: Uint8Array;
  inIndexCount = 0;
  /** 1 where the index holds the point's current vector: HNSW may return it. */
  servable: Uint8Array;
  servableCount = 0;
  /** Live points the index does not cover: always scanned exactly. */
  readonly tail = new Set<number>();
  building = false;
  /** Stops the running build's worker (on drop / close). */
  cancelBuild: (() => Promise<void>) | null = null;
  buildTimer: NodeJS.Timeout | null = null;
  /** Set when the collection is dropped or the store closed, so late index builds are discarded. */
  disposed = false;

  constructor(
    readonly cid: number,
    readonly name: string,
    readonly dims: number,
    readonly distance: Distance,
    public metadata: Payload | undefined,
    public seq: number,
  ) {
    this.slab = new VectorSlab(dims);
    this.alive = new Uint8Array(0);
    this.seqOf = new Float64Array(0);
    this.inIndex = new Uint8Array(0);
    this.servable = new Uint8Array(0);
  }

  /** How the slab scores this collection's vectors (Euclid as a squared distance). */
  get metric(): Metric {
    return this.distance === "Euclid" ? "l2sq" : "dot";
  }

  slotOf(id: PointId): number | undefined {
    return this.slotById.get(id);
  }

  idOf(slot: number): PointId {
    return this.ids[slot] as PointId;
  }

  /**
   * Grow the arrays to hold `slot` (geometric growth keeps appends amortised O(1)); `exact`
   * sizes them to `slot + 1` when the final count is known (loading), which spares the slab
   * up to half its size in unused rows.
   */
  ensureSlot(slot: number, exact = false): void {
    this.slab.ensureRows(slot + 1, exact);
    if (slot < this.alive.length) return;
    const size = exact ? slot + 1 : Math.max(slot + 1, this.alive.length * 2, 1024);
    // alive and servable in shared memory: the search thread reads them in place.
    this.alive = grow(this.alive, size, true);
    this.inIndex = grow(this.inIndex, size, false);
    this.servable = grow(this.servable, size, true);
    const seqOf = new Float64Array(size);
    seqOf.set(this.seqOf);
    this.seqOf = seqOf;
  }

  /** Apply a committed point write. */
  put(slot: number, id: PointId, vector: Float32Array | null, payload: Payload, seq: number): void {
    this.version++;
    this.ensureSlot(slot);
    if (slot >= this.capacity) this.capacity = slot + 1;
    if (!this.alive[slot]) {
      this.alive[slot] = 1;
      this.liveCount++;
    }
    this.ids[slot] = id;
    this.slotById.set(id, slot);
    if (vector) {
      this.slab.set(slot, vector);
      this.seqOf[slot] = seq;
      if (this.servable[slot]) {
        this.servable[slot] = 0;
        this.servableCount--;
      }
      this.tail.add(slot);
    }
    this.payloads.set(slot, payload);
  }

  /** Apply a committed payload change (the vector stays). */
  setPayload(slot: number, payload: Payload): void {
    this.version++; // filters read payloads
    this.payloads.set(slot, payload);
  }

  /** Apply a committed delete. */
  remove(slot: number): void {
    if (!this.alive[slot]) return;
    this.version++;
    this.alive[slot] = 0;
    this.liveCount--;
    const id = this.ids[slot];
    if (id !== undefined) this.slotById.delete(id);
    this.ids[slot] = undefined;
    if (this.servable[slot]) {
      this.servable[slot] = 0;
      this.servableCount--;
    }
    this.tail.delete(slot);
    this.payloads.set(slot, undefined);
  }

  /** Labels in the index whose point is gone or changed: candidates HNSW must skip. */
  get staleLabels(): number {
    return this.inIndexCount - this.servableCount;
  }

  /** Recompute coverage after an index swap: servable = live, in index, unchanged since `seq`. */
  recomputeCoverage(): void {
    this.version++;
    this.servableCount = 0;
    this.tail.clear();
    for (let s = 0; s < this.capacity; s++) {
      const ok = this.alive[s] === 1 && this.inIndex[s] === 1 && (this.seqOf[s] as number) <= this.hnswSeq;
      this.servable[s] = ok ? 1 : 0;
      if (ok) this.servableCount++;
      else if (this.alive[s]) this.tail.add(s);
    }
  }
}

function grow(a: Uint8Array, size: number, shared: boolean): Uint8Array {
  const b = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  b.set(a);
  return b;
}
