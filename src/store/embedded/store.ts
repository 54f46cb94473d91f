/**
 * The embedded vector store (default): SQLite is the source of truth, memory serves queries.
 *
 * - Writes: one SQLite transaction per batch (WAL, synchronous=FULL), then applied to memory.
 *   When `upsert` resolves the points are on disk and searchable (exactly, until indexed).
 * - Search: exact scan for small collections, small filtered subsets and the not-yet-indexed
 *   tail; HNSW (hnswlib) with the filter applied during graph traversal otherwise.
 * - Index: built in a worker thread once a collection passes `hnswThreshold` points,
 *   persisted under `DIR/index/`, reloaded on open, extended incrementally, rebuilt when
 *   missing or mostly stale.
 *
 * One process should own a store directory at a time; another process's commits are
 * detected (SQLite `data_version`) and trigger a reload, so a CLI reading a store a server is
 * writing sees current data.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type CollectionInfo,
  type CollectionSpec,
  type Distance,
  type Filter,
  type GetOptions,
  normalizePointId,
  type OpenStoreOptions,
  type Payload,
  type Point,
  type PointId,
  type PointSelector,
  type ScoredPoint,
  type ScrollOptions,
  type ScrollPage,
  type SearchOptions,
  type SetPayloadOptions,
  type StoredPoint,
  StoreError,
  type UpsertOptions,
  type UpsertResult,
  type Vector,
  type VectorStore,
  type WithPayload,
} from "../contract.js";
import { parsePath, validateFilter } from "../filter.js";
import { CollectionState } from "./collection.js";
import {
  type CollectionRow,
  createPointsTable,
  type Db,
  decodePid,
  encodePid,
  type IndexRow,
  openDatabase,
  pointsTable,
  vectorToBlob,
} from "./db.js";
import { HnswGraph } from "./graph.js";
import { buildInWorker } from "./hnsw.js";
import { type FilterMatch, freezeDeep } from "./payload-index.js";
import { type ScoringRequest, type ScoringState, type SearchMode, score } from "./scoring.js";
import { SearchThread } from "./search-thread.js";
import { prepareFiniteVector } from "./vectors.js";
import { WalChangeDetector } from "./wal-watch.js";

/** Tunables, with the figures that chose the defaults. */
export interface EmbeddedStoreOptions extends OpenStoreOptions {
  /** Build an HNSW index past this many points. Exact scan of 10k × 384-d takes ≈3 ms. */
  hnswThreshold?: number;
  /** Filtered searches matching at most this many indexed points scan them exactly (≈0.3 µs/point). */
  exactFilterLimit?: number;
  /** HNSW construction parameters. */
  hnswM?: number;
  hnswEfConstruction?: number;
  /** Default search breadth. */
  hnswEf?: number;
  /** Delay after the last write before a background build starts (ms). */
  buildDelayMs?: number;
}

const DEFAULTS = {
  hnswThreshold: 10_000,
  exactFilterLimit: 20_000,
  hnswM: 16,
  hnswEfConstruction: 100,
  hnswEf: 64,
  buildDelayMs: 300,
};

/** A search checked and planned against one state of its collection. */
interface PreparedSearch {
  c: CollectionState;
  q: Float32Array;
  /** limit + offset */
  k: number;
  offset: number;
  filtered: FilterMatch | null;
  mode: SearchMode;
  ef: number;
  /** Handed to the search thread (so the state may have moved since it was planned). */
  sent: boolean;
}

const NAME_RULE = /^[^/\\\0]{1,255}$/;
/**
 * Searches scoring fewer rows than this stay on the calling thread: handing one to the search
 * thread costs ≈20-40 µs (two messages), what the kernels take for ≈250 rows.
 */
const SEARCH_THREAD_MIN_ROWS = 512;
/** Rows per multi-row INSERT (5 parameters each, 2,500 in all: below SQLite's 32,766 limit). */
const INSERT_ROWS = 500;

export class EmbeddedStore implements VectorStore {
  readonly kind = "embedded" as const;
  readonly location: string;
  private readonly collections = new Map<string, CollectionState>();
  private readonly opts: typeof DEFAULTS & { backgroundIndexing: boolean; searchThread: boolean };
  /** The search thread (opts.searchThread), or "failed" when it could not start. */
  private thread: SearchThread | "failed" | null = null;
  private closed = false;
  private dataVersion = 0;
  private readonly indexDir: string;
  private readonly pendingBuilds = new Set<Promise<unknown>>();
  private readonly dataVersionStmt: { get(): unknown };
  private readonly walWatch: WalChangeDetector;

  private constructor(
    readonly dir: string,
    private readonly db: Db,
    options: EmbeddedStoreOptions,
  ) {
    this.location = `embedded:${dir}`;
    this.indexDir = join(dir, "index");
    this.dataVersionStmt = db.prepare("PRAGMA data_version").raw(true);
    this.walWatch = new WalChangeDetector(join(dir, "store.db"), options.changeCheck ?? "every-call");
    this.opts = {
      hnswThreshold: options.hnswThreshold ?? DEFAULTS.hnswThreshold,
      exactFilterLimit: options.exactFilterLimit ?? DEFAULTS.exactFilterLimit,
      hnswM: options.hnswM ?? DEFAULTS.hnswM,
      hnswEfConstruction: options.hnswEfConstruction ?? DEFAULTS.hnswEfConstruction,
      hnswEf: options.hnswEf ?? DEFAULTS.hnswEf,
      buildDelayMs: options.buildDelayMs ?? DEFAULTS.buildDelayMs,
      backgroundIndexing: options.backgroundIndexing ?? true,
      searchThread: options.searchThread ?? false,
    };
  }

  /** Open (creating if needed) the store in `dir`, loading every collection into memory. */
  static async open(dir: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
    const abs = resolve(dir);
    const db = openDatabase(abs);
    const store = new EmbeddedStore(abs, db, options);
    mkdirSync(store.indexDir, { recursive: true });
    await store.loadAll();
    store.removeOrphanIndexFiles();
    if (store.opts.searchThread) {
      // Started here, not on the first search, so a server's first requests use it too.
      // A thread that cannot start leaves searches on this thread.
      store.thread = await SearchThread.start().catch(() => "failed" as const);
    }
    return store;
  }

  // ------------------------------------------------------------------ loading

  private async loadAll(): Promise<void> {
    for (const c of this.collections.values()) this.dispose(c);
    this.collections.clear();
    const rows = this.db
      .prepare("SELECT id, name, dims, distance, metadata, seq FROM collections")
      .all() as CollectionRow[];
    for (const row of rows) await this.loadCollection(row);
    this.dataVersion = this.readDataVersion();
  }

  /**
   * Remove index files no collection references (left by a build killed mid-write). Only
   * files older than ten minutes: a younger one may be another process's build in progress.
   */
  private removeOrphanIndexFiles(): void {
    const referenced = new Set([...this.collections.values()].map((c) => c.hnswFile));
    for (const f of readdirSync(this.indexDir)) {
      const path = join(this.indexDir, f);
      if (!referenced.has(f) && Date.now() - statSync(path).mtimeMs > 600_000) rmSync(path, { force: true });
    }
  }

  private readDataVersion(): number {
    // Header first: a commit landing between the two reads then shows as a change next time.
    this.walWatch.remember();
    // libsql's pluck() returns row objects; raw() gives the bare column values.
    const row = this.dataVersionStmt.get() as [number];
    return Number(row[0]);
  }

  private async loadCollection(row: CollectionRow): Promise<CollectionState> {
    const metadata = row.metadata ? (JSON.parse(row.metadata) as Payload) : undefined;
    const c = new CollectionState(row.id, row.name, row.dims, row.distance, metadata, row.seq);
    const maxSlot = this.db
      .prepare(`SELECT max(slot) FROM ${pointsTable(row.id)}`)
      .raw(true)
      .get() as [number | null];
    if (maxSlot[0] !== null) c.ensureSlot(maxSlot[0], true);
    const stmt = this.db
      .prepare(`SELECT slot, pid, seq, vector, payload FROM ${pointsTable(row.id)}`)
      .raw(true);
    for (const r of stmt.iterate() as Iterable<[number, string, number, Buffer, string]>) {
      const [slot, pid, seq, blob, payload] = r;
      c.ensureSlot(slot);
      if (blob.byteLength !== c.dims * 4) {
        throw new StoreError(
          "store.open",
          "corrupt",
          `collection ${row.name}: point ${pid} has a vector of ${blob.byteLength} bytes`,
        );
      }
      c.slab.setBytes(slot, blob);
      c.put(slot, decodePid(pid), null, JSON.parse(payload) as Payload, seq);
      c.seqOf[slot] = seq;
      c.tail.add(slot);
    }
    this.collections.set(row.name, c);
    const idx = this.db.prepare("SELECT cid, file, seq FROM indexes WHERE cid = ?").get(row.id) as
      | IndexRow
      | undefined;
    if (idx && existsSync(join(this.indexDir, idx.file))) {
      try {
        const hnsw = HnswGraph.read(join(this.indexDir, idx.file));
        this.installIndex(c, hnsw, idx.file, idx.seq, hnsw.labels());
      } catch {
        // Unreadable index file: serve exactly and rebuild below.
        this.db.prepare("DELETE FROM indexes WHERE cid = ?").run(row.id);
      }
    }
    this.scheduleBuild(c);
    return c;
  }

  private installIndex(
    c: CollectionState,
    hnsw: HnswGraph,
    file: string,
    seq: number,
    labels: Iterable<number>,
  ): void {
    c.inIndex.fill(0);
    c.inIndexCount = 0;
    for (const label of labels) {
      c.ensureSlot(label);
      if (!c.inIndex[label]) {
        c.inIndex[label] = 1;
        c.inIndexCount++;
      }
    }
    c.hnsw = hnsw;
    c.version++;
    c.hnswFile = file;
    c.hnswSeq = seq;
    c.recomputeCoverage();
  }

  // ------------------------------------------------------------------ background indexing

  private scheduleBuild(c: CollectionState): void {
    if (!this.opts.backgroundIndexing || c.building || c.disposed || this.closed) return;
    if (c.liveCount < this.opts.hnswThreshold) return;
    const stale = c.staleLabels;
    const needed =
      c.hnsw === null ||
      c.tail.size >= Math.max(1_000, 0.05 * c.servableCount) ||
      stale > 0.2 * c.inIndexCount;
    if (!needed) return;
    if (c.buildTimer) clearTimeout(c.buildTimer);
    c.buildTimer = setTimeout(() => {
      c.buildTimer = null;
      const p = this.runBuild(c).catch(() => {
        // A failed build leaves the previous index (or exact scan) serving; retried on the next write.
      });
      this.pendingBuilds.add(p);
      void p.finally(() => this.pendingBuilds.delete(p));
    }, this.opts.buildDelayMs);
    c.buildTimer.unref();
  }

  private async runBuild(c: CollectionState): Promise<void> {
    if (c.building || c.disposed) return;
    c.building = true;
    try {
      const seq = c.seq;
      // Extend the current index unless most of it is stale; then start over (hnswlib keeps
      // deleted elements' memory until rebuilt).
      const incremental = c.hnsw !== null && c.hnswFile !== null && c.staleLabels <= 0.2 * c.inIndexCount;
      const addSlots: number[] = [];
      const deletes: number[] = [];
      for (let s = 0; s < c.capacity; s++) {
        if (c.alive[s] === 1) {
          if (!incremental || !c.servable[s]) addSlots.push(s);
        } else if (incremental && c.inIndex[s] === 1) deletes.push(s);
      }
      const vectors = new Float32Array(addSlots.length * c.dims);
      const rows = c.slab.rows;
      addSlots.forEach((s, i) => {
        vectors.set(rows.subarray(s * c.dims, (s + 1) * c.dims), i * c.dims);
      });
      const file = `${pointsTable(c.cid)}-${seq}-${Date.now()}.hnsw`;
      const job = buildInWorker({
        distance: c.distance,
        dims: c.dims,
        base: incremental ? join(this.indexDir, c.hnswFile as string) : null,
        out: join(this.indexDir, file),
        labels: Int32Array.from(addSlots),
        vectors,
        deletes: Int32Array.from(deletes),
        maxElements: c.liveCount,
        m: this.opts.hnswM,
        efConstruction: this.opts.hnswEfConstruction,
      });
      c.cancelBuild = job.cancel;
      try {
        await job.done;
      } catch (error) {
        rmSync(join(this.indexDir, file), { force: true });
        throw error;
      } finally {
        c.cancelBuild = null;
      }
      if (c.disposed || this.closed || this.collections.get(c.name) !== c) {
        rmSync(join(this.indexDir, file), { force: true });
        return;
      }
      const hnsw = HnswGraph.read(join(this.indexDir, file));
      if (c.disposed || this.closed) {
        rmSync(join(this.indexDir, file), { force: true });
        return;
      }
      const labels: number[] = [];
      if (incremental) {
        const gone = new Set(deletes);
        for (let s = 0; s < c.inIndex.length; s++) if (c.inIndex[s] === 1 && !gone.has(s)) labels.push(s);
      }
      labels.push(...addSlots);
      const oldFile = c.hnswFile;
      this.db
        .prepare("INSERT OR REPLACE INTO indexes (cid, file, seq) VALUES (?, ?, ?)")
        .run(c.cid, file, seq);
      this.installIndex(c, hnsw, file, seq, labels);
      if (oldFile && oldFile !== file) rmSync(join(this.indexDir, oldFile), { force: true });
    } finally {
      c.building = false;
    }
    this.scheduleBuild(c);
  }

  /**
   * Wait until background indexing has caught up (benchmarks and tests; never needed for
   * correctness, searches are complete while indexing runs).
   */
  async waitForIndexing(timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = [...this.collections.values()].some((c) => c.building || c.buildTimer !== null);
      if (!busy && this.pendingBuilds.size === 0) return;
      if (Date.now() > deadline)
        throw new StoreError("store.index", "timeout", "indexing did not finish in time");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ------------------------------------------------------------------ helpers

  private guard(operation: string): void {
    if (this.closed) throw new StoreError(operation, "closed", "the store is closed");
    // Most checks find nothing new: the WAL-index header says so for a fraction of the cost.
    if (!this.walWatch.mayHaveChanged()) return;
    const v = this.readDataVersion();
    if (v !== this.dataVersion) {
      // Another connection committed: our memory may be stale. Reload synchronously enough:
      // collections are reloaded lazily by `col()` below.
      this.externalChange = true;
      this.dataVersion = v;
    }
  }

  private externalChange = false;

  private async sync(operation: string): Promise<void> {
    this.guard(operation);
    if (this.externalChange) {
      this.externalChange = false;
      await this.loadAll();
    }
  }

  private col(name: string, operation: string): CollectionState {
    const c = this.collections.get(name);
    if (!c) throw new StoreError(operation, "not_found", `collection ${JSON.stringify(name)} does not exist`);
    return c;
  }

  private dispose(c: CollectionState): void {
    c.disposed = true;
    c.version++;
    if (this.thread instanceof SearchThread) this.thread.forget(c.uid);
    if (c.buildTimer) clearTimeout(c.buildTimer);
    c.buildTimer = null;
    if (c.cancelBuild) void c.cancelBuild();
    c.hnsw = null;
  }

  private info(c: CollectionState): CollectionInfo {
    const indexed = c.servableCount;
    return {
      name: c.name,
      dims: c.dims,
      distance: c.distance,
      pointCount: c.liveCount,
      indexedCount: c.hnsw ? indexed : 0,
      // Yellow only while a build is pending or running. A tail too small to be worth a build
      // (scheduleBuild) is the steady state, scanned exactly: green, as Qdrant reports points
      // below its indexing threshold (indexedCount says how many are in the graph).
      status: c.building || c.buildTimer !== null ? "yellow" : "green",
      ...(c.metadata ? { metadata: structuredClone(c.metadata) } : {}),
    };
  }

  private readonly insertStatements = new Map<string, { run(...params: unknown[]): unknown }>();

  private insertStatement(cid: number, rows: number): { run(...params: unknown[]): unknown } {
    const key = `${cid}:${rows}`;
    let stmt = this.insertStatements.get(key);
    if (!stmt) {
      const values = Array.from({ length: rows }, () => "(?, ?, ?, ?, ?)").join(", ");
      stmt = this.db.prepare(
        `INSERT INTO ${pointsTable(cid)} (slot, pid, seq, vector, payload) VALUES ${values}`,
      );
      if (this.insertStatements.size > 64) this.insertStatements.clear();
      this.insertStatements.set(key, stmt);
    }
    return stmt;
  }

  private write<T>(operation: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const busy = /SQLITE_BUSY|database is locked/i.test(String(error));
      throw new StoreError(operation, busy ? "unavailable" : "internal", `write failed: ${String(error)}`, {
        cause: error,
      });
    }
  }

  private selectSlots(c: CollectionState, selector: PointSelector, operation: string): number[] {
    if (Array.isArray(selector)) {
      const slots: number[] = [];
      for (const id of selector) {
        const slot = c.slotOf(normalizePointId(id, operation));
        if (slot !== undefined) slots.push(slot);
      }
      return slots;
    }
    if (!selector || typeof selector !== "object" || !("filter" in selector)) {
      throw new StoreError(operation, "invalid_argument", "selector must be an array of ids or { filter }");
    }
    const { mask } = this.evaluate(c, selector.filter, operation);
    const slots: number[] = [];
    for (let s = 0; s < c.capacity; s++) if (mask[s]) slots.push(s);
    return slots;
  }

  private evaluate(c: CollectionState, filter: Filter, operation: string): FilterMatch {
    try {
      validateFilter(filter);
    } catch (error) {
      if (error instanceof StoreError) throw new StoreError(operation, error.code, error.message);
      throw error;
    }
    return c.payloads.evaluate(filter, c);
  }

  private project(
    c: CollectionState,
    slot: number,
    withPayload: WithPayload,
    withVector: boolean,
  ): StoredPoint {
    const out: StoredPoint = { id: c.idOf(slot) };
    if (withPayload !== false) {
      const p = c.payloads.payloads[slot] ?? {};
      // The store's payload objects are its own (copied on write): frozen on first read, they
      // can be handed out without a copy per hit.
      out.payload = withPayload === true ? freezeDeep(p) : pick(p, withPayload);
    }
    if (withVector) out.vector = Array.from(c.slab.get(slot));
    return out;
  }

  // ------------------------------------------------------------------ collections

  async ensureCollection(name: string, spec: CollectionSpec): Promise<CollectionInfo> {
    const op = "store.ensureCollection";
    await this.sync(op);
    if (typeof name !== "string" || !NAME_RULE.test(name)) {
      throw new StoreError(
        op,
        "invalid_argument",
        `invalid collection name ${JSON.stringify(name)}: 1-255 characters, no / \\ or NUL`,
      );
    }
    if (!Number.isInteger(spec?.dims) || spec.dims < 1 || spec.dims > 65_536) {
      throw new StoreError(
        op,
        "invalid_argument",
        `dims must be an integer between 1 and 65536, got ${spec?.dims}`,
      );
    }
    if (!["Cosine", "Dot", "Euclid"].includes(spec.distance)) {
      throw new StoreError(
        op,
        "invalid_argument",
        `distance must be Cosine, Dot or Euclid, got ${String(spec.distance)}`,
      );
    }
    const existing = this.collections.get(name);
    if (existing) {
      if (existing.dims !== spec.dims) {
        throw new StoreError(
          op,
          "dimension_mismatch",
          `collection ${name} has ${existing.dims} dims, asked for ${spec.dims}`,
        );
      }
      if (existing.distance !== spec.distance) {
        throw new StoreError(
          op,
          "conflict",
          `collection ${name} uses ${existing.distance}, asked for ${spec.distance}`,
        );
      }
      return this.info(existing);
    }
    const metadata = spec.metadata ? JSON.stringify(spec.metadata) : null;
    const cid = this.write(op, () => {
      const r = this.db
        .prepare(
          "INSERT INTO collections (name, dims, distance, metadata, seq, created_at) VALUES (?, ?, ?, ?, 0, ?)",
        )
        .run(name, spec.dims, spec.distance, metadata, new Date().toISOString());
      const id = Number(r.lastInsertRowid);
      createPointsTable(this.db, id);
      return id;
    });
    this.dataVersion = this.readDataVersion();
    const c = new CollectionState(cid, name, spec.dims, spec.distance, spec.metadata, 0);
    this.collections.set(name, c);
    return this.info(c);
  }

  async dropCollection(name: string): Promise<boolean> {
    const op = "store.dropCollection";
    await this.sync(op);
    const c = this.collections.get(name);
    if (!c) return false;
    this.write(op, () => {
      this.db.exec(`DROP TABLE IF EXISTS ${pointsTable(c.cid)}`);
      this.db.prepare("DELETE FROM collections WHERE id = ?").run(c.cid);
      this.db.prepare("DELETE FROM indexes WHERE cid = ?").run(c.cid);
    });
    this.dispose(c);
    this.collections.delete(name);
    if (c.hnswFile) rmSync(join(this.indexDir, c.hnswFile), { force: true });
    return true;
  }

  async listCollections(): Promise<string[]> {
    await this.sync("store.listCollections");
    return [...this.collections.keys()].sort();
  }

  async collectionInfo(name: string): Promise<CollectionInfo> {
    const op = "store.collectionInfo";
    await this.sync(op);
    return this.info(this.col(name, op));
  }

  // ------------------------------------------------------------------ writes

  async upsert(
    collection: string,
    points: Iterable<Point> | AsyncIterable<Point>,
    options: UpsertOptions = {},
  ): Promise<UpsertResult> {
    const op = "store.upsert";
    await this.sync(op);
    const batchSize = Math.max(1, options.batchSize ?? 1_000);
    let batch: Point[] = [];
    let upserted = 0;
    for await (const p of points as AsyncIterable<Point>) {
      batch.push(p);
      if (batch.length >= batchSize) {
        upserted += this.upsertBatch(collection, batch);
        batch = [];
      }
    }
    if (batch.length > 0) upserted += this.upsertBatch(collection, batch);
    return { upserted };
  }

  private upsertBatch(collection: string, batch: Point[]): number {
    const op = "store.upsert";
    this.guard(op);
    const c = this.col(collection, op);
    const prepared = batch.map((p, i) => {
      if (!p || typeof p !== "object")
        throw new StoreError(op, "invalid_argument", `point #${i} is not an object`);
      const id = normalizePointId(p.id, op);
      const v = p.vector as Vector;
      if (!v || typeof v.length !== "number")
        throw new StoreError(op, "invalid_argument", `point ${id}: missing vector`);
      if (v.length !== c.dims) {
        throw new StoreError(
          op,
          "dimension_mismatch",
          `point ${id}: vector has ${v.length} dims, collection ${c.name} has ${c.dims}`,
        );
      }
      const vector = prepareFiniteVector(v, c.distance);
      if (typeof vector === "number") {
        throw new StoreError(
          op,
          "invalid_argument",
          `point ${id}: vector[${vector}] is not a finite number (float32: NaN, ±Infinity and |x| > 3.4e38 are refused)`,
        );
      }
      const payload = p.payload ?? {};
      if (typeof payload !== "object" || Array.isArray(payload)) {
        throw new StoreError(op, "invalid_argument", `point ${id}: payload must be a JSON object`);
      }
      const json = JSON.stringify(payload);
      return {
        id,
        vector,
        json,
        // The store keeps its own copy, as read back from the JSON it wrote: a caller that
        // later changes the object it passed cannot change what the store holds.
        payload: JSON.parse(json) as Payload,
      };
    });
    const seq = c.seq + 1;
    const slots: number[] = [];
    let next = c.capacity;
    const assigned = new Map<PointId, number>();
    this.write(op, () => {
      const update = this.db.prepare(
        `UPDATE ${pointsTable(c.cid)} SET seq = ?, vector = ?, payload = ? WHERE slot = ?`,
      );
      // New points go in multi-row INSERTs: one native call per 100 rows instead of one per
      // row (a per-row call costs ≈20 µs with libsql, most of a bulk load's time).
      let rows: unknown[] = [];
      const flushInserts = () => {
        if (rows.length === 0) return;
        this.insertStatement(c.cid, rows.length / 5).run(...rows);
        rows = [];
      };
      for (const p of prepared) {
        let slot = c.slotOf(p.id) ?? assigned.get(p.id);
        if (slot === undefined) {
          slot = next++;
          assigned.set(p.id, slot);
          rows.push(slot, encodePid(p.id), seq, vectorToBlob(p.vector), p.json);
          if (rows.length >= INSERT_ROWS * 5) flushInserts();
        } else {
          // Same new id twice in one batch: its row must exist before the update; later wins.
          if (assigned.has(p.id)) flushInserts();
          update.run(seq, vectorToBlob(p.vector), p.json, slot);
        }
        slots.push(slot);
      }
      flushInserts();
      this.db.prepare("UPDATE collections SET seq = ? WHERE id = ?").run(seq, c.cid);
    });
    c.seq = seq;
    c.ensureSlot(next);
    prepared.forEach((p, i) => {
      c.put(slots[i] as number, p.id, p.vector, p.payload, seq);
    });
    this.dataVersion = this.readDataVersion();
    this.scheduleBuild(c);
    return prepared.length;
  }

  async delete(collection: string, selector: PointSelector): Promise<void> {
    const op = "store.delete";
    await this.sync(op);
    const c = this.col(collection, op);
    const slots = this.selectSlots(c, selector, op);
    if (slots.length === 0) return;
    this.write(op, () => {
      const del = this.db.prepare(`DELETE FROM ${pointsTable(c.cid)} WHERE slot = ?`);
      for (const s of slots) del.run(s);
    });
    for (const s of slots) c.remove(s);
    this.scheduleBuild(c);
  }

  private rewritePayloads(
    collection: string,
    selector: PointSelector,
    op: string,
    change: (old: Payload) => Payload,
  ): void {
    const c = this.col(collection, op);
    const slots = this.selectSlots(c, selector, op);
    const updated = slots.map((s) => change(structuredClone(c.payloads.payloads[s] ?? {})));
    this.write(op, () => {
      const stmt = this.db.prepare(`UPDATE ${pointsTable(c.cid)} SET payload = ? WHERE slot = ?`);
      slots.forEach((s, i) => {
        stmt.run(JSON.stringify(updated[i]), s);
      });
    });
    slots.forEach((s, i) => {
      c.setPayload(s, updated[i] as Payload);
    });
  }

  async setPayload(
    collection: string,
    payload: Payload,
    selector: PointSelector,
    options: SetPayloadOptions = {},
  ): Promise<void> {
    const op = "store.setPayload";
    await this.sync(op);
    checkPayload(payload, op);
    const steps = options.key ? parsePath(options.key, "key").map((s) => s.key) : [];
    this.rewritePayloads(collection, selector, op, (old) => {
      let target: Record<string, unknown> = old;
      for (const k of steps) {
        const next = target[k];
        if (next === null || typeof next !== "object" || Array.isArray(next)) target[k] = {};
        target = target[k] as Record<string, unknown>;
      }
      Object.assign(target, structuredClone(payload));
      return old;
    });
  }

  async overwritePayload(collection: string, payload: Payload, selector: PointSelector): Promise<void> {
    const op = "store.overwritePayload";
    await this.sync(op);
    checkPayload(payload, op);
    this.rewritePayloads(collection, selector, op, () => structuredClone(payload));
  }

  async deletePayloadKeys(collection: string, keys: string[], selector: PointSelector): Promise<void> {
    const op = "store.deletePayloadKeys";
    await this.sync(op);
    const paths = keys.map((k) => parsePath(k, "keys").map((s) => s.key));
    this.rewritePayloads(collection, selector, op, (old) => {
      for (const path of paths) {
        let target: unknown = old;
        for (const k of path.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[k];
        if (target && typeof target === "object")
          delete (target as Record<string, unknown>)[path[path.length - 1] as string];
      }
      return old;
    });
  }

  // ------------------------------------------------------------------ reads

  async get(collection: string, ids: PointId[], options: GetOptions = {}): Promise<StoredPoint[]> {
    const op = "store.get";
    await this.sync(op);
    const c = this.col(collection, op);
    const out: StoredPoint[] = [];
    for (const raw of ids) {
      const slot = c.slotOf(normalizePointId(raw, op));
      if (slot !== undefined)
        out.push(this.project(c, slot, options.withPayload ?? true, options.withVector ?? false));
    }
    return out;
  }

  async count(collection: string, filter?: Filter | null): Promise<number> {
    const op = "store.count";
    await this.sync(op);
    const c = this.col(collection, op);
    if (!filter) return c.liveCount;
    return this.evaluate(c, filter, op).count;
  }

  async scroll(collection: string, options: ScrollOptions = {}): Promise<ScrollPage> {
    const op = "store.scroll";
    await this.sync(op);
    const c = this.col(collection, op);
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1)
      throw new StoreError(op, "invalid_argument", "limit must be an integer ≥ 1");
    const mask = options.filter ? this.evaluate(c, options.filter, op).mask : null;
    let from =
      options.cursor === undefined || options.cursor === null
        ? ""
        : encodePid(normalizePointId(options.cursor, op));
    const stmt = this.db
      .prepare(`SELECT slot, pid FROM ${pointsTable(c.cid)} WHERE pid >= ? ORDER BY pid LIMIT ?`)
      .raw(true);
    const found: number[] = [];
    let nextCursor: PointId | null = null;
    const chunk = mask ? Math.max(256, limit * 4) : limit + 1;
    outer: for (;;) {
      const rows = stmt.all(from, chunk) as Array<[number, string]>;
      for (const [slot, pid] of rows) {
        if (mask && !mask[slot]) continue;
        if (found.length === limit) {
          nextCursor = decodePid(pid);
          break outer;
        }
        found.push(slot);
      }
      if (rows.length < chunk) break;
      from = `${(rows[rows.length - 1] as [number, string])[1]}\u0000`;
    }
    return {
      points: found.map((s) => this.project(c, s, options.withPayload ?? true, options.withVector ?? false)),
      nextCursor,
    };
  }

  async search(collection: string, vector: Vector, options: SearchOptions = {}): Promise<ScoredPoint[]> {
    const op = "store.search";
    await this.sync(op);
    let search = this.prepareSearch(collection, vector, options, op);
    let hits = await this.nearestOffThread(search);
    if (this.closed) throw new StoreError(op, "closed", "the store is closed");
    if (hits === null) {
      // Not sent, or a write landed while the search thread ran it: everything it was planned
      // on (collection, filter, plan) may have moved, so plan again on the current state.
      if (search.sent) search = this.prepareSearch(collection, vector, options, op);
      hits = this.nearestHere(search);
    }
    const { c, offset } = search;
    const threshold = options.scoreThreshold;
    const out: ScoredPoint[] = [];
    for (const h of hits.slice(offset)) {
      const score = c.distance === "Euclid" ? Math.sqrt(Math.max(0, -h.score)) : h.score;
      if (threshold !== undefined && threshold !== null) {
        if (c.distance === "Euclid" ? score > threshold : score < threshold) continue;
      }
      const p = this.project(c, h.slot, options.withPayload ?? true, options.withVector ?? false);
      out.push({ ...p, score });
    }
    return out;
  }

  /** Check a search's arguments against the collection and plan it on the current state. */
  private prepareSearch(
    collection: string,
    vector: Vector,
    options: SearchOptions,
    op: string,
  ): PreparedSearch {
    const c = this.col(collection, op);
    const limit = options.limit ?? 10;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1)
      throw new StoreError(op, "invalid_argument", "limit must be an integer ≥ 1");
    if (!Number.isInteger(offset) || offset < 0)
      throw new StoreError(op, "invalid_argument", "offset must be an integer ≥ 0");
    if (!vector || vector.length !== c.dims) {
      throw new StoreError(
        op,
        "dimension_mismatch",
        `query vector has ${vector?.length} dims, collection ${c.name} has ${c.dims}`,
      );
    }
    // Checked like an upsert's vectors: null or "1" must not become a number silently.
    const q = prepareFiniteVector(vector, c.distance);
    if (typeof q === "number") {
      throw new StoreError(
        op,
        "invalid_argument",
        `query vector[${q}] is ${JSON.stringify(vector[q]) ?? String(vector[q])}; vector values must be finite numbers`,
      );
    }
    const k = limit + offset;
    const filtered = options.filter ? this.evaluate(c, options.filter, op) : null;
    const mode = this.plan(c, k, filtered, options);
    const ef = options.hnswEf ?? this.opts.hnswEf;
    return { c, q, k, offset, filtered, mode, ef, sent: false };
  }

  /**
   * Run the search on the search thread when there is one and the search is worth it. Null
   * when it was not sent, or its answer cannot be used (a write landed meanwhile):
   * `search.sent` tells which. A graph that came up short is finished here by the exact scan.
   */
  private async nearestOffThread(
    search: PreparedSearch,
  ): Promise<Array<{ slot: number; score: number }> | null> {
    const { c, mode, filtered } = search;
    const rows = mode === "graph" ? Number.POSITIVE_INFINITY : filtered ? filtered.count : c.liveCount;
    const thread = rows >= SEARCH_THREAD_MIN_ROWS ? this.searchThread() : null;
    if (!thread) return null;
    const version = c.version;
    const request = this.scoringRequest(search);
    // Only what the mode reads crosses: each array is copied into the message.
    const running = thread.search(c, {
      ...request,
      mask: mode === "graph" ? request.mask : null,
      slots: mode === "list" ? request.slots : null,
      tail: mode === "graph" && c.tail.size > 0 ? Int32Array.from(c.tail) : null,
    });
    if (!running) return null;
    search.sent = true;
    const hits = await running.catch(() => null);
    // Used only if nothing the search read changed meanwhile.
    if (hits && c.version === version && hits.short) {
      // The graph came up short on an unchanged state: the plan stands and only its exact
      // fallback is left, so neither planning nor the graph walk is done again here.
      this.searchThreadCounts.redone++;
      return this.exactHere(search);
    }
    if (hits && c.version === version) {
      this.searchThreadCounts.answered++;
      const out: Array<{ slot: number; score: number }> = [];
      for (let i = 0; i < hits.slots.length; i++) {
        out.push({ slot: hits.slots[i] as number, score: hits.scores[i] as number });
      }
      return out;
    }
    this.searchThreadCounts.redone++;
    return null;
  }

  /** Which search answers: the HNSW graph, or an exact scan of the filtered list or all rows. */
  private plan(
    c: CollectionState,
    k: number,
    filtered: FilterMatch | null,
    options: SearchOptions,
  ): SearchMode {
    const exactMode = filtered ? "list" : "scan";
    if (!c.hnsw || options.exact || c.servableCount === 0) return exactMode;
    // Few matching points: scoring them all (SIMD, ≈0.12 µs each) beats a filtered traversal.
    const matching = filtered ? filtered.count : c.liveCount;
    if ((filtered && matching <= this.opts.exactFilterLimit) || matching <= k) return exactMode;
    return "graph";
  }

  /** The search thread when enabled and running. */
  private searchThread(): SearchThread | null {
    return this.thread instanceof SearchThread && this.thread.alive && !this.closed ? this.thread : null;
  }

  /**
   * Searches the search thread answered, and those finished here: a write landed while the
   * thread ran them (searched again), or their graph came up short (scanned exactly).
   */
  readonly searchThreadCounts = { answered: 0, redone: 0 };

  /** True when searches run on the search thread (option `searchThread`, and it started). */
  get searchesOffThread(): boolean {
    return this.searchThread() !== null;
  }

  /** Best `k` slots for the query among live slots (those the filter keeps), on this thread. */
  private nearestHere(search: PreparedSearch): Array<{ slot: number; score: number }> {
    // A graph that comes up short (or is gone): scan exactly.
    return score(scoringState(search.c), this.scoringRequest(search)) ?? this.exactHere(search);
  }

  /** The exact scan a graph search falls back to: the filtered list, or every live row. */
  private exactHere(search: PreparedSearch): Array<{ slot: number; score: number }> {
    const request = { ...this.scoringRequest(search), mode: search.filtered ? "list" : "scan" } as const;
    return score(scoringState(search.c), request) ?? [];
  }

  /** What scoring a prepared search reads: its plan's inputs and the exact fallback's. */
  private scoringRequest({ c, q, k, mode, ef, filtered }: PreparedSearch): ScoringRequest {
    return {
      mode,
      q,
      k,
      metric: c.metric,
      ef,
      mask: filtered?.mask ?? null,
      slots: filtered?.slots ?? null,
      tail: c.tail,
      capacity: c.capacity,
    };
  }

  async *exportPoints(
    collection: string,
    options: { batchSize?: number } = {},
  ): AsyncIterable<Required<StoredPoint>> {
    const op = "store.export";
    await this.sync(op);
    const c = this.col(collection, op);
    const pageSize = options.batchSize ?? 1_000;
    // A second connection in one read transaction sees a consistent snapshot (WAL) while
    // this store keeps accepting writes.
    const reader = openDatabase(this.dir, true);
    try {
      reader.exec("BEGIN");
      const stmt = reader
        .prepare(`SELECT pid, vector, payload FROM ${pointsTable(c.cid)} WHERE pid > ? ORDER BY pid LIMIT ?`)
        .raw(true);
      let from = "";
      for (;;) {
        const rows = stmt.all(from, pageSize) as Array<[string, Buffer, string]>;
        for (const [pid, blob, payload] of rows) {
          const v = new Float32Array(c.dims);
          new Uint8Array(v.buffer).set(blob);
          yield { id: decodePid(pid), vector: Array.from(v), payload: JSON.parse(payload) as Payload };
        }
        if (rows.length < pageSize) break;
        from = (rows[rows.length - 1] as [string, Buffer, string])[0];
      }
      reader.exec("COMMIT");
    } finally {
      reader.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const cancels = [...this.collections.values()].map((c) => c.cancelBuild?.());
    for (const c of this.collections.values()) this.dispose(c);
    // Builds stop at a safe point (hnsw.ts): the worker may be writing its index file.
    await Promise.allSettled(cancels);
    if (this.thread instanceof SearchThread) await this.thread.close();
    this.thread = null;
    await Promise.allSettled([...this.pendingBuilds]);
    this.walWatch.close();
    this.db.close();
  }
}

/** What scoring reads of a collection state, on this thread. */
function scoringState(c: CollectionState): ScoringState {
  return { slab: c.slab, graph: c.hnsw, alive: c.alive, servable: c.servable };
}

function checkPayload(payload: unknown, op: string): void {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new StoreError(op, "invalid_argument", "payload must be a JSON object");
  }
}

/** Keep only the given keys (top-level or dot paths) of a payload. */
function pick(payload: Payload, keys: string[]): Payload {
  const out: Payload = {};
  for (const key of keys) {
    const path = key.split(".");
    let src: unknown = payload;
    for (const k of path)
      src = src && typeof src === "object" && !Array.isArray(src) ? (src as Payload)[k] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const k of path.slice(0, -1)) {
      if (typeof dst[k] !== "object" || dst[k] === null) dst[k] = {};
      dst = dst[k] as Payload;
    }
    dst[path[path.length - 1] as string] = structuredClone(src);
  }
  return out;
}

export type { Distance };
