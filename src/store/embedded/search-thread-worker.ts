/**
 * The search thread's side (see search-thread.ts): attaches to the collections' shared slabs,
 * graphs and masks, and runs the scoring part of searches, one at a time, in arrival order.
 * It never writes shared state: the owning thread does, and discards a result if anything
 * changed while it was computed.
 */
import { parentPort } from "node:worker_threads";
import { HnswGraph } from "./graph.js";
import { type ScoringState, score } from "./scoring.js";
import type { SearchDone, ToSearchThread } from "./search-thread.js";
import { VectorSlab } from "./slab.js";

const port = parentPort;
if (!port) throw new Error("search-thread-worker runs in a worker thread");
const attached = new Map<number, ScoringState>();
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
        const hits = score(a, message);
        const short = hits === null;
        const found = hits ?? [];
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
