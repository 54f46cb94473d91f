/**
 * The scoring part of one embedded-store search, as planned by the store (store.ts `plan`):
 * the HNSW graph plus the points it does not cover, or an exact scan of a filtered slot list
 * or of every live row; the k best rescored in double precision. One implementation for both
 * threads that run it: the store's own and the search thread (search-thread-worker.ts).
 */
import type { HnswGraph } from "./graph.js";
import type { Metric, VectorSlab } from "./slab.js";
import { TopK } from "./vectors.js";

export type SearchMode = "graph" | "list" | "scan";

/** What to score (plain data: it crosses to the search thread as a message). */
export interface ScoringRequest {
  mode: SearchMode;
  q: Float32Array;
  k: number;
  metric: Metric;
  /** graph: beam width, and the filter mask when there is a filter. */
  ef: number;
  mask: Uint8Array | null;
  /** list: the slots to score. */
  slots: Int32Array | null;
  /** graph: live points the graph does not cover, scored too (the mask applies). */
  tail: Iterable<number> | null;
  /** scan: rows [0, capacity) with alive = 1. */
  capacity: number;
}

/** The state a search reads, on whichever thread runs it. */
export interface ScoringState {
  slab: VectorSlab;
  graph: HnswGraph | null;
  alive: Uint8Array;
  servable: Uint8Array;
}

/**
 * The k best slots for the request, rescored, best first (ties: lower slot). Null when the
 * graph is missing or found fewer than k accepted points: the caller scans exactly instead.
 */
export function score(
  state: ScoringState,
  request: ScoringRequest,
): Array<{ slot: number; score: number }> | null {
  const { slab } = state;
  const { q, k, metric, mask } = request;
  const top = new TopK(k);
  slab.setQuery(q);
  if (request.mode === "graph") {
    if (!state.graph) return null;
    const found = state.graph.search(slab, metric, k, request.ef, state.servable, mask);
    if (found.length < k) return null;
    for (const hit of found) top.push(hit.slot, hit.score);
    if (request.tail) slab.scoreListInto(top, metric, request.tail, mask);
  } else if (request.mode === "list") {
    slab.scoreListInto(top, metric, request.slots ?? [], null);
  } else {
    slab.scanInto(top, metric, request.capacity, state.alive);
  }
  return slab.rescore(top, q, metric);
}
