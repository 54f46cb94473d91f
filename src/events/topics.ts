/** The event topics and their payloads. Add a topic here and every publisher/subscriber is type-checked. */
export interface EventTopics {
  /** An indexing run finished. */
  "plan.indexed": { files: number; changed: number; records: number; durationMs: number };
  /** A task's status or text changed in a plan. */
  "task.changed": { file: string; line: number; id: string | null; title: string; status: string | null };
  /** A migration (import job) made progress. */
  "migration.progress": { jobId: string; read: number; written: number; failed: number };
  /** A migration (import job) ended, successfully or not. */
  "migration.finished": { jobId: string; state: "succeeded" | "failed"; written: number; error?: string };
  /** A store operation failed. */
  "store.error": { operation: string; code: string; message: string };
  /** A manager changed lifecycle state. */
  "manager.state": { name: string; state: string; error?: string };
  /** An API key was created or revoked. */
  "security.key": { id: string; action: "created" | "revoked"; scopes: string[] };
}

export type Topic = keyof EventTopics;

/**
 * Critical topics are written to the SQLite event log before delivery, so a subscriber that
 * comes later (or restarts) can replay them. Progress ticks are not: they are only useful live.
 */
export const CRITICAL_TOPICS: ReadonlySet<Topic> = new Set<Topic>([
  "plan.indexed",
  "migration.finished",
  "store.error",
  "security.key",
]);

export interface BusEvent<T extends Topic = Topic> {
  topic: T;
  payload: EventTopics[T];
  /** Epoch milliseconds. */
  at: number;
  /** Position in the event log (critical events only). */
  seq?: number;
}
