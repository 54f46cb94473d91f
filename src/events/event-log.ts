/** The persisted part of the event bus: critical events in a SQLite file, read back for replay. */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";
import { PlanvecError } from "../core/errors.js";
import type { BusEvent, Topic } from "./topics.js";

export class EventLogError extends PlanvecError {}

interface Row {
  seq: number;
  topic: string;
  payload: string;
  at: number;
}

export class EventLog {
  private constructor(private readonly db: Database.Database) {}

  /** Open (creating) the log at `path`; `:memory:` for a throwaway one. */
  static open(path: string): EventLog {
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.exec(
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL);" +
          "CREATE INDEX IF NOT EXISTS events_topic ON events(topic, seq);",
      );
      return new EventLog(db);
    } catch (error) {
      throw new EventLogError(
        "open event log",
        "event_log_unavailable",
        `cannot open the event log at ${path}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Persist one event; returns its sequence number. */
  append(topic: Topic, payload: unknown, at: number): number {
    const result = this.db
      .prepare("INSERT INTO events (topic, payload, at) VALUES (?, ?, ?)")
      .run(topic, JSON.stringify(payload), at);
    return Number(result.lastInsertRowid);
  }

  /** Highest sequence number so far (0 when empty). */
  lastSeq(): number {
    const row = this.db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM events").get() as { seq: number };
    return Number(row.seq);
  }

  /** Events of `topics` (all when null) with after < seq ≤ upTo, oldest first. */
  read(topics: Topic[] | null, after: number, upTo: number, limit = 256): BusEvent[] {
    const rows = (
      topics
        ? this.db
            .prepare(
              `SELECT seq, topic, payload, at FROM events WHERE seq > ? AND seq <= ? AND topic IN (${topics.map(() => "?").join(",")}) ORDER BY seq LIMIT ?`,
            )
            .all(after, upTo, ...topics, limit)
        : this.db
            .prepare(
              "SELECT seq, topic, payload, at FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            )
            .all(after, upTo, limit)
    ) as Row[];
    return rows.map((row) => ({
      seq: Number(row.seq),
      topic: row.topic as Topic,
      payload: JSON.parse(row.payload),
      at: Number(row.at),
    }));
  }

  /** Keep only the newest `keep` events (run at start; the log is an audit trail, not a queue). */
  prune(keep: number): number {
    const result = this.db
      .prepare("DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?")
      .run(keep);
    return Number(result.changes);
  }

  close(): void {
    this.db.close();
  }
}
