/**
 * Background jobs (imports) the API starts and reports on. Each job is also a row of a SQLite
 * file beside the service's data, so `GET /api/v1/jobs/:id` still answers after a restart: a
 * job that was running when the process stopped is reported `interrupted` (a migration resumes
 * from its checkpoint when started again).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";

export type JobState = "queued" | "running" | "succeeded" | "failed" | "interrupted";

export interface Job {
  id: string;
  kind: string;
  state: JobState;
  createdAt: string;
  finishedAt: string | null;
  progress: Record<string, unknown>;
  result: unknown;
  error: string | null;
}

/** Progress is written to disk at most this often per job (it can change per batch). */
const PROGRESS_WRITE_MS = 1_000;

interface JobRow {
  id: string;
  kind: string;
  state: JobState;
  created_at: string;
  finished_at: string | null;
  progress: string;
  result: string | null;
  error: string | null;
}

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly lastWrite = new Map<string, number>();

  private readonly upsertRow: Database.Statement | null;

  /** In memory only when `db` is null (tests, library use). */
  private constructor(private readonly db: Database.Database | null) {
    this.upsertRow =
      db?.prepare(
        `INSERT INTO jobs (id, kind, state, created_at, finished_at, progress, result, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, finished_at = excluded.finished_at,
           progress = excluded.progress, result = excluded.result, error = excluded.error`,
      ) ?? null;
  }

  /**
   * Open the registry persisted in `file` (created if needed), or an in-memory one for null.
   * Jobs a previous process left running or queued become `interrupted`.
   */
  static open(file: string | null): JobRegistry {
    if (file === null) return new JobRegistry(null);
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
        finished_at TEXT, progress TEXT NOT NULL, result TEXT, error TEXT
      );
    `);
    db.prepare(
      `UPDATE jobs SET state = 'interrupted', finished_at = ?,
         error = 'the server stopped while this job ran; start it again to resume'
       WHERE state IN ('queued', 'running')`,
    ).run(new Date().toISOString());
    return new JobRegistry(db);
  }

  /** Start `work` in the background; it may report progress through the callback. */
  start(
    kind: string,
    work: (job: Job, progress: (p: Record<string, unknown>) => void) => Promise<unknown>,
  ): Job {
    const job: Job = {
      id: randomUUID(),
      kind,
      state: "running",
      createdAt: new Date().toISOString(),
      finishedAt: null,
      progress: {},
      result: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.save(job);
    const run = work(job, (p) => {
      job.progress = p;
      const now = Date.now();
      if (now - (this.lastWrite.get(job.id) ?? 0) >= PROGRESS_WRITE_MS) this.save(job);
    }).then(
      (result) => {
        job.state = "succeeded";
        job.result = result;
      },
      (error: unknown) => {
        job.state = "failed";
        job.error = error instanceof Error ? error.message : String(error);
      },
    );
    const tracked = run.finally(() => {
      job.finishedAt = new Date().toISOString();
      this.save(job);
      this.lastWrite.delete(job.id);
      this.running.delete(tracked);
    });
    this.running.add(tracked);
    return job;
  }

  /** A job of this process, else one a previous process recorded. */
  get(id: string): Job | undefined {
    const live = this.jobs.get(id);
    if (live || !this.db) return live;
    const row = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Wait for running jobs (graceful shutdown), at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Record the last progress of jobs still running (the next process marks them interrupted). */
  close(): void {
    if (!this.db) return;
    for (const job of this.jobs.values()) if (job.state === "running") this.save(job);
    this.db.close();
  }

  private save(job: Job): void {
    if (!this.db?.open) return;
    this.lastWrite.set(job.id, Date.now());
    this.upsertRow?.run(
      job.id,
      job.kind,
      job.state,
      job.createdAt,
      job.finishedAt,
      JSON.stringify(job.progress),
      job.result === null || job.result === undefined ? null : JSON.stringify(job.result),
      job.error,
    );
  }
}

function fromRow(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    progress: JSON.parse(row.progress) as Record<string, unknown>,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
  };
}
