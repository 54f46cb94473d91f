/**
 * A second thread for the scoring part of embedded-store searches (HNSW traversal, exact
 * scans), so a server's main thread keeps parsing and answering requests meanwhile.
 *
 * Why: serving `POST /points/query` at 100 connections, one thread spent 55 % of its time in
 * the search itself and the second core stayed idle; requests then waited for whole waves of
 * other requests (docs/benchmarks.md, "where the p99 comes from").
 *
 * Nothing is copied: the slab (a shared WebAssembly memory), the HNSW graph and the liveness
 * masks are in shared memory, attached once per collection state and re-sent only when the
 * owner replaces them (the graph after a build, the masks when they grow). The owner stays
 * the only writer. It notes the collection's `version` when it sends a search and discards
 * the answer if the version moved meanwhile (a write landed), searching again on its own
 * thread, so a search never mixes states.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { CollectionState } from "./collection.js";
import type { SharedGraph } from "./graph.js";
import type { ScoringRequest } from "./scoring.js";
import type { SharedSlab, WasmMemory } from "./slab.js";

const require = createRequire(import.meta.url);

/** A scoring request as sent: the tail as an array (a Set would be cloned entry by entry). */
export type SearchRequest = ScoringRequest & { tail: Int32Array | null };

/** Best first, at most k, rescored in double precision (VectorSlab.rescore). */
export interface SearchHits {
  slots: Int32Array;
  scores: Float64Array;
  /** graph: fewer than k found (the caller scans exactly instead). */
  short: boolean;
}

export type ToSearchThread =
  | { type: "slab"; uid: number; slab: SharedSlab }
  | { type: "graph"; uid: number; graph: SharedGraph | null }
  | { type: "masks"; uid: number; alive: Uint8Array; servable: Uint8Array }
  | { type: "forget"; uid: number }
  | ({ type: "search"; id: number; uid: number } & SearchRequest);

export type SearchDone =
  | { type: "done"; id: number; slots: Int32Array; scores: Float64Array; short: boolean; error?: undefined }
  | { type: "done"; id: number; error: string };

/** What the thread has been sent for one collection state. */
interface Synced {
  memory: WasmMemory;
  graph: CollectionState["hnsw"];
  alive: Uint8Array;
  servable: Uint8Array;
}

// Loads the worker module: compiled JavaScript in dist/, TypeScript (through tsx, a dev
// dependency) when running from sources under tsx or vitest.
const BOOT = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) {
    const api = await import(workerData.tsx);
    (api.register ?? api.default.register)();
  }
  await import(workerData.module);
})().catch((error) => {
  console.error("planvec search thread:", error);
  process.exit(1);
});
`;

/** tsx's ESM register() entry (require.resolve finds its CommonJS twin). */
function tsxEsmApi(): string {
  const resolved = require.resolve("tsx/esm/api");
  const esm = resolved.replace(/\.cjs$/, ".mjs");
  return existsSync(esm) ? esm : resolved;
}

export class SearchThread {
  private readonly pending = new Map<
    number,
    { resolve: (hits: SearchHits) => void; reject: (e: Error) => void }
  >();
  private readonly synced = new Map<number, Synced>();
  private nextId = 0;
  private dead: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (message: SearchDone) => this.onDone(message));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`search thread exited with code ${code}`)));
    worker.unref(); // only pending searches hold the process (see search)
  }

  /** Start the thread; resolves once it is ready for work. */
  static async start(): Promise<SearchThread> {
    const fromSources = import.meta.url.endsWith(".ts");
    const module = new URL(`./search-thread-worker${fromSources ? ".ts" : ".js"}`, import.meta.url).href;
    const tsx = fromSources ? pathToFileURL(tsxEsmApi()).href : null;
    const worker = new Worker(BOOT, { eval: true, workerData: { module, tsx } });
    let onMessage = () => {};
    let onError = (_error: Error) => {};
    let onExit = (_code: number) => {};
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = () => resolve();
        onError = reject;
        onExit = (code) => reject(new Error(`search thread exited with code ${code} while starting`));
        worker.once("message", onMessage).once("error", onError).once("exit", onExit);
      });
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      // Not removeAllListeners(): the Worker keeps listeners of its own (port ref-counting).
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
    }
    return new SearchThread(worker);
  }

  /** False once the thread has died: callers search on their own thread then. */
  get alive(): boolean {
    return this.dead === null;
  }

  /**
   * Run `request` over `c` on the thread. Null when `c`'s slab is not shareable (moved to
   * plain memory), in which case the caller searches on its own thread.
   */
  search(c: CollectionState, request: SearchRequest): Promise<SearchHits> | null {
    if (this.dead) return null;
    const shared = c.slab.shared();
    if (!shared) return null;
    this.sync(c, shared);
    const id = this.nextId++;
    return new Promise<SearchHits>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.post({ type: "search", id, uid: c.uid, ...request });
    });
  }

  /** Drop what the thread holds for a collection state that is gone (dropped, reloaded). */
  forget(uid: number): void {
    if (!this.synced.delete(uid) || this.dead) return;
    this.post({ type: "forget", uid });
  }

  async close(): Promise<void> {
    this.fail(new Error("the store is closed"));
    await this.worker.terminate();
  }

  /** Send what changed since the last search of this collection state (messages keep order). */
  private sync(c: CollectionState, shared: SharedSlab): void {
    let s = this.synced.get(c.uid);
    if (!s || s.memory !== shared.memory) {
      this.post({ type: "slab", uid: c.uid, slab: shared });
      s = { memory: shared.memory, graph: null, alive: new Uint8Array(0), servable: new Uint8Array(0) };
      this.synced.set(c.uid, s);
    }
    if (s.graph !== c.hnsw) {
      this.post({ type: "graph", uid: c.uid, graph: c.hnsw ? c.hnsw.share() : null });
      s.graph = c.hnsw;
    }
    if (s.alive !== c.alive || s.servable !== c.servable) {
      this.post({ type: "masks", uid: c.uid, alive: c.alive, servable: c.servable });
      s.alive = c.alive;
      s.servable = c.servable;
    }
  }

  private post(message: ToSearchThread): void {
    this.worker.postMessage(message);
  }

  private onDone(message: SearchDone): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.error !== undefined) pending.reject(new Error(message.error));
    else pending.resolve({ slots: message.slots, scores: message.scores, short: message.short });
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.worker.unref();
  }
}
