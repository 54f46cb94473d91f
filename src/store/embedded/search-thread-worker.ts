/**
 * The search thread's side (see search-thread.ts): attaches to the collections' shared slabs,
 * graphs and masks, and runs the scoring part of searches, one at a time, in arrival order.
 * It never writes shared state: the owning thread does, and discards a result if anything
 * changed while it was computed.
 */
import { parentPort } from "node:worker_threads";
import { HnswGraph } from "./graph.js";
import type { SearchDone, ToSearchThread } from "./search-thread.js";
import { VectorSlab } from "./slab.js";
import { TopK } from "./vectors.js";

interface Attached {
  slab: VectorSlab;
  graph: HnswGraph | null;
  alive: Uint8Array;
  servable: Uint8Array;
}

const port = parentPort;
if (!port) throw new Error("search-thread-worker runs in a worker thread");
const attached = new Map<number, Attached>();
const none = new Uint8Array(0);

port.on("message", (message: ToSearchThread) => {
  switch (message.type) {
    case "slab":
      attached.set(message.uid, {
        slab: new VectorSlab(message.slab.dims, true, message.slab),
        graph: null,
        alive: none,
        servable: none,
      });
      return;
    case "graph": {
      const a = attached.get(message.uid);
      if (a) a.graph = message.graph ? HnswGraph.fromShared(message.graph) : null;
      return;
    }
    case "masks": {
      const a = attached.get(message.uid);
      if (a) {
        a.alive = message.alive;
        a.servable = message.servable;
      }
      return;
    }
    case "forget":
      attached.delete(message.uid);
      return;
    case "search": {
      let reply: SearchDone;
      try {
        const a = attached.get(message.uid);
        if (!a) throw new Error(`collection state ${message.uid} is not attached`);
        a.slab.refresh();
        a.slab.setQuery(message.q);
        const { metric, mask } = message;
        const top = new TopK(message.k);
        let short = false;
        if (message.mode === "graph") {
          if (!a.graph) throw new Error("no graph attached");
          const found = a.graph.search(a.slab, metric, message.k, message.ef, a.servable, mask);
          short = found.length < message.k;
          for (const hit of found) top.push(hit.slot, hit.score);
          // As the owner's nearestHere: the points the graph does not cover are scored too.
          const tail = message.tail ?? none;
          a.slab.scoreListInto(top, metric, mask ? tail.filter((slot) => mask[slot] === 1) : tail);
        } else if (message.mode === "list") {
          a.slab.scoreListInto(top, metric, message.slots ?? none);
        } else {
          a.slab.scanInto(top, metric, message.capacity, a.alive);
        }
        const found = a.slab.rescore(top, message.q, metric);
        const slots = new Int32Array(found.length);
        const scores = new Float64Array(found.length);
        found.forEach((hit, i) => {
          slots[i] = hit.slot;
          scores[i] = hit.score;
        });
        reply = { type: "done", id: message.id, slots, scores, short };
        port.postMessage(reply, [slots.buffer, scores.buffer]);
      } catch (error) {
        reply = { type: "done", id: message.id, error: String((error as Error)?.message ?? error) };
        port.postMessage(reply);
      }
      return;
    }
  }
});
port.postMessage({ type: "ready" });
