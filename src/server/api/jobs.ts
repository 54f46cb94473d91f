/** Background jobs (imports) the API starts and reports on: in memory, one process. */
import { randomUUID } from "node:crypto";

export type JobState = "queued" | "running" | "succeeded" | "failed";

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

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<unknown>>();

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
    const run = work(job, (p) => {
      job.progress = p;
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
      this.running.delete(tracked);
    });
    this.running.add(tracked);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
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
}
