import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";
import { EmbeddingError } from "../errors.js";
import type { CacheLevel } from "./types.js";

export interface DiskCacheOptions {
  /** The SQLite file, e.g. `~/.cache/planvec/embeddings.sqlite`. Created when missing. */
  path: string;
  modelId: string;
  dims: number;
  onWarning: (message: string) => void;
  /** How long a write waits for another process's lock before it is dropped. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/** Largest IN (...) list per lookup; SQLite's default limit on bound variables is 32 766. */
const LOOKUP_CHUNK = 500;

/**
 * L3: vectors persisted in one SQLite file (WAL, via libsql, the store's SQLite binding) so
 * unchanged text is never embedded twice across runs. One row per (model id, sha256 of the
 * normalised text); the vector is a float32 little-endian BLOB. Several processes can share
 * the file (WAL + busy timeout). A write that fails (disk full, locked too long) is dropped
 * with one warning: the cache must never fail an embedding.
 */
export class DiskCache implements CacheLevel {
  readonly name = "l3";
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, Buffer, Buffer, number]>;
  private warned = false;

  constructor(private readonly options: DiskCacheOptions) {
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(`CREATE TABLE IF NOT EXISTS embedding_cache (
        model_id TEXT NOT NULL,
        text_sha256 BLOB NOT NULL,
        vector BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (model_id, text_sha256)
      ) WITHOUT ROWID`);
      this.insert = this.db.prepare(
        "INSERT OR REPLACE INTO embedding_cache (model_id, text_sha256, vector, created_at) VALUES (?, ?, ?, ?)",
      );
    } catch (error) {
      throw new EmbeddingError(
        "open embedding cache",
        "cache_corrupt",
        `cannot open the disk cache ${options.path}: delete it or set PLANVEC_CACHE_DIR elsewhere`,
        { cause: error },
      );
    }
  }

  async getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    const found = new Map<string, Float32Array>();
    try {
      for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
        const chunk = keys.slice(start, start + LOOKUP_CHUNK);
        const rows = this.db
          .prepare(
            `SELECT text_sha256, vector FROM embedding_cache WHERE model_id = ? AND text_sha256 IN (${chunk
              .map(() => "?")
              .join(",")})`,
          )
          .all(this.options.modelId, ...chunk.map((key) => Buffer.from(key, "hex"))) as {
          text_sha256: ArrayBuffer;
          vector: ArrayBuffer;
        }[];
        for (const row of rows) {
          const vector = this.decode(row.vector);
          if (vector) found.set(Buffer.from(row.text_sha256).toString("hex"), vector);
        }
      }
    } catch (error) {
      this.warnOnce("read", error);
    }
    return keys.map((key) => found.get(key));
  }

  private warnOnce(what: "read" | "write", error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.options.onWarning(
      `cannot ${what} the disk cache ${this.options.path} (${(error as Error).message}); ` +
        "continuing without it for the failed operations",
    );
  }

  private decode(blob: ArrayBuffer): Float32Array | undefined {
    if (blob.byteLength !== this.options.dims * 4) return undefined;
    const view = new DataView(blob);
    const vector = new Float32Array(this.options.dims);
    for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
    return vector;
  }

  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    try {
      this.db.transaction(() => {
        for (const [key, vector] of entries) {
          const buffer = Buffer.alloc(vector.length * 4);
          for (let i = 0; i < vector.length; i++) buffer.writeFloatLE(vector[i] ?? 0, i * 4);
          this.insert.run(this.options.modelId, Buffer.from(key, "hex"), buffer, now);
        }
      })();
    } catch (error) {
      this.warnOnce("write", error);
    }
  }

  /** Rows stored for this model. */
  count(): number {
    const row = this.db
      .prepare("SELECT count(*) AS n FROM embedding_cache WHERE model_id = ?")
      .get(this.options.modelId) as { n: number };
    return Number(row.n);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
