/**
 * SQLite side of the embedded store: the durable source of truth.
 *
 * One database file (`store.db`) per store directory, WAL journal with synchronous=FULL: a
 * commit returns only after the WAL is fsynced, so an acknowledged write survives a crash or
 * power loss. Each collection is one table `p_<id>(slot, pid, seq, vector, payload)`:
 * - `slot` (rowid) is the point's position in the in-memory slab and its HNSW label;
 * - `pid` is the point id encoded so that text order is Qdrant's id order (integers
 *   ascending, then UUIDs), which makes scroll a keyset scan on the unique index;
 * - `seq` is the collection's write sequence of the last vector change, which tells whether
 *   a persisted HNSW index is stale for that point.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import type { Distance, PointId } from "../contract.js";
import { StoreError } from "../contract.js";

export type Db = InstanceType<typeof Database>;

/** Encode an id so that string order is Qdrant's order: integers first (numerically), then UUIDs. */
export function encodePid(id: PointId): string {
  return typeof id === "number" ? `0${id.toString(16).padStart(14, "0")}` : `1${id}`;
}

export function decodePid(pid: string): PointId {
  return pid.startsWith("0") ? Number.parseInt(pid.slice(1), 16) : pid.slice(1);
}

export interface CollectionRow {
  id: number;
  name: string;
  dims: number;
  distance: Distance;
  metadata: string | null;
  seq: number;
}

export interface IndexRow {
  cid: number;
  file: string;
  seq: number;
}

/** Open (creating if needed) the store database with durable settings and the schema. */
export function openDatabase(dir: string, readonly = false): Db {
  try {
    if (!readonly) mkdirSync(dir, { recursive: true });
    const db = new Database(join(dir, "store.db"), readonly ? { readonly: true } : undefined);
    db.pragma("busy_timeout = 5000");
    if (!readonly) {
      db.pragma("journal_mode = WAL");
      // FULL: fsync the WAL on every commit; NORMAL would lose the last commits on power loss.
      db.pragma("synchronous = FULL");
      // Checkpoint every 64 MB of WAL rather than 4 MB: bulk loads copy pages to the main file
      // less often. Durability is unchanged (the fsynced WAL is the commit).
      db.pragma("wal_autocheckpoint = 16384");
      db.pragma("journal_size_limit = 67108864");
      const [mode] = db.prepare("PRAGMA journal_mode").raw(true).get() as [string];
      const [sync] = db.prepare("PRAGMA synchronous").raw(true).get() as [number];
      if (mode !== "wal" || sync !== 2) {
        throw new Error(`durability settings not applied (journal_mode=${mode}, synchronous=${sync})`);
      }
      db.exec(`
        CREATE TABLE IF NOT EXISTS collections (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          dims INTEGER NOT NULL,
          distance TEXT NOT NULL,
          metadata TEXT,
          seq INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS indexes (
          cid INTEGER PRIMARY KEY,
          file TEXT NOT NULL,
          seq INTEGER NOT NULL
        );
      `);
    }
    return db;
  } catch (error) {
    throw new StoreError(
      "store.open",
      "unavailable",
      `cannot open embedded store in ${dir}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}

export function pointsTable(cid: number): string {
  return `p_${cid}`;
}

export function createPointsTable(db: Db, cid: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${pointsTable(cid)} (
    slot INTEGER PRIMARY KEY,
    pid TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    vector BLOB NOT NULL,
    payload TEXT NOT NULL
  )`);
}

/** Float32 vector as a BLOB (little-endian, as on every platform Node runs on). */
export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
