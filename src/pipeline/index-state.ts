import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { PlanvecError } from "../core/errors.js";
import type { CollectionName, RecordPayloadBase } from "./records.js";

type Db = InstanceType<typeof Database>;

export class IndexStateError extends PlanvecError {}

export interface FileRow {
  file: string;
  kind: string;
  size: number;
  mtimeMs: number;
  hash: string;
}

export interface RecordRow {
  key: string;
  file: string;
  collection: CollectionName;
  pointId: string;
  textHash: string;
  payloadHash: string;
  title: string;
  section: string;
  text: string;
  payload: RecordPayloadBase;
}

export interface KeywordHit {
  row: RecordRow;
  /** BM25 (higher is better; FTS5's bm25() negated). */
  score: number;
}

export interface KeywordQuery {
  query: string;
  collections: readonly string[];
  limit: number;
  status?: "done" | "pending";
  files?: readonly string[];
  section?: string;
}

/**
 * What the index knows about each source file and record (the incremental manifest) and the
 * keyword index over the records (SQLite FTS5, `unicode61 remove_diacritics 2` so that
 * `implementer` finds `Implémenter`). One SQLite file per target store, next to the data.
 * Each file's changes are committed in one transaction only after the vector store accepted
 * them, so a run killed at any moment leaves a state that the next run converges from.
 */
export class IndexState {
  private constructor(
    private readonly db: Db,
    readonly path: string,
  ) {}

  static open(dataDir: string, storeLocation: string): IndexState {
    mkdirSync(dataDir, { recursive: true });
    const name = `index-${createHash("sha256").update(storeLocation).digest("hex").slice(0, 12)}.db`;
    const path = join(dataDir, name);
    let db: Db;
    try {
      db = new Database(path);
    } catch (error) {
      throw new IndexStateError(
        "open index state",
        "unavailable",
        `cannot open ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    db.pragma("journal_mode = WAL");
    // Derived data: losing the last commit on power loss only means re-indexing a file.
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS files (
        file TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, hash TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS records (
        key TEXT PRIMARY KEY, file TEXT NOT NULL, collection TEXT NOT NULL, point_id TEXT NOT NULL,
        text_hash TEXT NOT NULL, payload_hash TEXT NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL,
        text TEXT NOT NULL, status TEXT, task_id TEXT, payload TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS records_file ON records(file);
      CREATE INDEX IF NOT EXISTS records_point ON records(point_id);
      CREATE INDEX IF NOT EXISTS records_task_id ON records(task_id) WHERE task_id IS NOT NULL;
      CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(
        title, text, section, file, content='records', content_rowid='rowid',
        tokenize="unicode61 remove_diacritics 2"
      );
      CREATE TRIGGER IF NOT EXISTS records_ai AFTER INSERT ON records BEGIN
        INSERT INTO records_fts(rowid, title, text, section, file) VALUES (new.rowid, new.title, new.text, new.section, new.file);
      END;
      CREATE TRIGGER IF NOT EXISTS records_ad AFTER DELETE ON records BEGIN
        INSERT INTO records_fts(records_fts, rowid, title, text, section, file) VALUES ('delete', old.rowid, old.title, old.text, old.section, old.file);
      END;
      CREATE TRIGGER IF NOT EXISTS records_au AFTER UPDATE ON records BEGIN
        INSERT INTO records_fts(records_fts, rowid, title, text, section, file) VALUES ('delete', old.rowid, old.title, old.text, old.section, old.file);
        INSERT INTO records_fts(rowid, title, text, section, file) VALUES (new.rowid, new.title, new.text, new.section, new.file);
      END;
    `);
    return new IndexState(db, path);
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)
      ?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  file(file: string): FileRow | undefined {
    const row = this.db
      .prepare("SELECT file, kind, size, mtime_ms, hash FROM files WHERE file = ?")
      .get(file) as { file: string; kind: string; size: number; mtime_ms: number; hash: string } | undefined;
    return row && { file: row.file, kind: row.kind, size: row.size, mtimeMs: row.mtime_ms, hash: row.hash };
  }

  files(): FileRow[] {
    return (
      this.db.prepare("SELECT file, kind, size, mtime_ms, hash FROM files ORDER BY file").all() as {
        file: string;
        kind: string;
        size: number;
        mtime_ms: number;
        hash: string;
      }[]
    ).map((row) => ({
      file: row.file,
      kind: row.kind,
      size: row.size,
      mtimeMs: row.mtime_ms,
      hash: row.hash,
    }));
  }

  /** Refresh size and mtime of a file whose content hash did not change. */
  touchFile(row: FileRow): void {
    this.db
      .prepare("UPDATE files SET size = ?, mtime_ms = ? WHERE file = ?")
      .run(row.size, row.mtimeMs, row.file);
  }

  recordsOfFile(file: string): Map<string, RecordRow> {
    const rows = this.db.prepare("SELECT * FROM records WHERE file = ?").all(file) as RawRecord[];
    return new Map(rows.map((raw) => [raw.key, fromRaw(raw)]));
  }

  /** Commit one file's new state: its row, the records written, the records removed. */
  commitFile(row: FileRow, upserts: RecordRow[], deletedKeys: string[]): void {
    const upsertFile = this.db.prepare(
      "INSERT INTO files(file, kind, size, mtime_ms, hash) VALUES (?, ?, ?, ?, ?) ON CONFLICT(file) DO UPDATE SET kind = excluded.kind, size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash",
    );
    const deleteRecord = this.db.prepare("DELETE FROM records WHERE key = ?");
    const upsertRecord = this.db.prepare(
      `INSERT INTO records(key, file, collection, point_id, text_hash, payload_hash, title, section, text, status, task_id, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET file = excluded.file, collection = excluded.collection, point_id = excluded.point_id,
         text_hash = excluded.text_hash, payload_hash = excluded.payload_hash, title = excluded.title, section = excluded.section,
         text = excluded.text, status = excluded.status, task_id = excluded.task_id, payload = excluded.payload`,
    );
    this.db.transaction(() => {
      for (const key of deletedKeys) deleteRecord.run(key);
      for (const record of upserts) {
        const payload = record.payload;
        upsertRecord.run(
          record.key,
          record.file,
          record.collection,
          record.pointId,
          record.textHash,
          record.payloadHash,
          record.title,
          record.section,
          record.text,
          typeof payload.status === "string" ? payload.status : null,
          typeof payload.task_id === "string" ? payload.task_id : null,
          JSON.stringify(payload),
        );
      }
      upsertFile.run(row.file, row.kind, row.size, row.mtimeMs, row.hash);
    })();
  }

  /** Forget a file that disappeared (after its points were deleted from the store). */
  forgetFile(file: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM records WHERE file = ?").run(file);
      this.db.prepare("DELETE FROM files WHERE file = ?").run(file);
    })();
  }

  /** Record counts per collection. */
  counts(): Record<string, number> {
    const rows = this.db.prepare("SELECT collection, COUNT(*) n FROM records GROUP BY collection").all() as {
      collection: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((row) => [row.collection, row.n]));
  }

  /** Records of tasks whose id is exactly `taskId` (optionally in files matching). */
  recordsByTaskId(taskId: string): RecordRow[] {
    return (
      this.db.prepare("SELECT * FROM records WHERE task_id = ? ORDER BY file, key").all(taskId) as RawRecord[]
    ).map(fromRaw);
  }

  recordsByPointIds(ids: readonly string[]): Map<string, RecordRow> {
    const result = new Map<string, RecordRow>();
    const select = this.db.prepare("SELECT * FROM records WHERE point_id = ?");
    for (const id of ids) {
      const raw = select.get(id) as RawRecord | undefined;
      if (raw) result.set(id, fromRaw(raw));
    }
    return result;
  }

  /** Every record of a collection (progress, duplicates). */
  recordsOfCollection(collection: string): RecordRow[] {
    return (
      this.db
        .prepare("SELECT * FROM records WHERE collection = ? ORDER BY file, rowid")
        .all(collection) as RawRecord[]
    ).map(fromRaw);
  }

  private vocab: { get(...params: unknown[]): unknown } | null = null;
  private countRecords: { get(): unknown } | null = null;

  /**
   * A test for words found in more than a quarter of the records. BM25 gives such a word
   * little weight (idf ≤ ln 3, none past half the records), yet OR-ing it in makes SQLite score
   * most records: path segments ("plans", "md", "dev") and digits cost 25-35 ms per query on
   * the dev corpus. Leaving them out changed no recall or MRR figure of `npm run eval:search`.
   * The record count is read once per query, not once per word.
   */
  private commonWordTest(): (word: string) => boolean {
    if (!this.vocab || !this.countRecords) {
      // A temp-schema vocabulary view works on a read-only index file too.
      this.db.exec(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.records_vocab USING fts5vocab(main, records_fts, 'row')",
      );
      this.vocab = this.db.prepare("SELECT doc FROM temp.records_vocab WHERE term = ?").raw(true);
      this.countRecords = this.db.prepare("SELECT count(*) FROM records").raw(true);
    }
    const vocab = this.vocab;
    const total = (this.countRecords.get() as [number])[0];
    return (word) => {
      const folded = word.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
      const doc = (vocab.get(folded) as [number] | undefined)?.[0] ?? 0;
      return doc * 4 > total;
    };
  }

  /** BM25 keyword search, accent- and case-folded, any query word may match. */
  keywordSearch(query: KeywordQuery): KeywordHit[] {
    const match = toFtsQuery(query.query, this.commonWordTest());
    if (!match || query.collections.length === 0) return [];
    const where: string[] = [
      "records_fts MATCH ?",
      `r.collection IN (${query.collections.map(() => "?").join(",")})`,
    ];
    const params: unknown[] = [match, ...query.collections];
    if (query.status) {
      where.push("r.status = ?");
      params.push(query.status);
    }
    if (query.files) {
      if (query.files.length === 0) return [];
      where.push(`r.file IN (${query.files.map(() => "?").join(",")})`);
      params.push(...query.files);
    }
    if (query.section) {
      where.push("r.section LIKE ? ESCAPE '\\'");
      params.push(`%${query.section.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    params.push(query.limit);
    // Rank inside FTS5 first and join only the best few thousand rows: joining every match
    // (and reading its payload) before sorting cost tens of ms on common words.
    const rows = this.db
      .prepare(
        `SELECT r.*, m.rank AS rank FROM
           (SELECT rowid, bm25(records_fts, 3.0, 1.0, 1.5, 1.0) AS rank FROM records_fts
            WHERE records_fts MATCH ? ORDER BY rank LIMIT ${FTS_CANDIDATES}) m
         JOIN records r ON r.rowid = m.rowid
         WHERE ${where.slice(1).join(" AND ")} ORDER BY m.rank LIMIT ?`,
      )
      .all(...params) as (RawRecord & { rank: number })[];
    return rows.map((raw) => ({ row: fromRaw(raw), score: -raw.rank }));
  }

  close(): void {
    this.db.close();
  }
}

interface RawRecord {
  key: string;
  file: string;
  collection: string;
  point_id: string;
  text_hash: string;
  payload_hash: string;
  title: string;
  section: string;
  text: string;
  payload: string;
}

function fromRaw(raw: RawRecord): RecordRow {
  return {
    key: raw.key,
    file: raw.file,
    collection: raw.collection as CollectionName,
    pointId: raw.point_id,
    textHash: raw.text_hash,
    payloadHash: raw.payload_hash,
    title: raw.title,
    section: raw.section,
    text: raw.text,
    payload: JSON.parse(raw.payload) as RecordPayloadBase,
  };
}

/** Keyword matches ranked before filters apply; filters rarely need more than this. */
const FTS_CANDIDATES = 2000;

/** French and English function words left out of keyword queries. */
const STOPWORDS = new Set(
  (
    "a à au aux avec ce ces dans de des du en et est il la le les leur l d un une ou par pour qui que sa se son sur " +
    "the of to and in on for with an is are be by as at or from this that it its"
  ).split(" "),
);

/**
 * A user's words as an FTS5 query: every word (letters/digits) quoted, OR-ed, the last one as
 * a prefix, so that punctuation or FTS syntax in the query can never be a syntax error.
 */
export function toFtsQuery(query: string, common: (word: string) => boolean = () => false): string | null {
  const all = query.match(/[\p{L}\p{N}]+/gu);
  if (!all || all.length === 0) return null;
  // Function words (and `common` ones, found in most records) match most records: BM25 gives
  // them almost no weight, yet OR-ing them in makes SQLite score nearly the whole table (65 ms
  // instead of 5 ms per query on the corpus). Kept only when nothing else is left.
  const content = all.filter((word) => !STOPWORDS.has(word.toLowerCase()) && !common(word));
  // Repeats (the 1s of "1.1.1.2") add nothing to an OR but work.
  const words = [...new Set(content.length > 0 ? content : all)];
  return words
    .map((word, i) => `"${word}"${i === words.length - 1 && word.length >= 3 ? "*" : ""}`)
    .join(" OR ");
}
