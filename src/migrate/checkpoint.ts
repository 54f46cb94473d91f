/**
 * The migration checkpoint: how far the source has been durably written, so a migration
 * killed at any point resumes without duplicates or gaps.
 *
 * Written atomically (temp file + fsync + rename) only after the store acknowledged a batch,
 * so it never claims more than the store holds. Re-writing the records after the checkpoint
 * is harmless: ids are deterministic (source ids or UUIDv5 of them) and upserts replace.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { MigrationRefusedError } from "./errors.js";

export interface MigrationCounts {
  read: number;
  written: number;
  failed: number;
  duplicates: number;
  verified: number;
  integrityFailures: number;
}

export interface Checkpoint {
  version: 1;
  source: string;
  /** Size and mtime of a file source: a changed file cannot be resumed. */
  sourceSize: number | null;
  sourceMtimeMs: number | null;
  store: string;
  collection: string;
  /** Every record with index < nextIndex has been processed (written, or counted as failed). */
  nextIndex: number;
  counts: MigrationCounts;
  /** Backup taken before the first write (null with --no-backup or when the collection was new). */
  backupFile: string | null;
  /** The migration created the collection: rollback drops it. */
  createdCollection: boolean;
  startedAt: string;
  updatedAt: string;
  /** Error samples collected so far (kept so the final report covers the whole run). */
  errorSamples: unknown[];
  errorCodes: Record<string, number>;
}

/** Checkpoint file for this (source, store, collection). */
export function checkpointPath(stateDir: string, source: string, store: string, collection: string): string {
  const key = createHash("sha1").update(`${source}\n${store}\n${collection}`).digest("hex").slice(0, 16);
  return join(stateDir, `migrate-${key}.checkpoint.json`);
}

export async function readCheckpoint(path: string): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as Checkpoint;
    if (value.version !== 1 || typeof value.nextIndex !== "number")
      throw new Error("unknown checkpoint version");
    return value;
  } catch (error) {
    throw new MigrationRefusedError(
      "migrate.resume",
      "bad_checkpoint",
      `checkpoint ${path} is unreadable (${(error as Error).message}); delete it and start over`,
      { cause: error },
    );
  }
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const tmp = `${path}.tmp`;
  await mkdir(join(path, ".."), { recursive: true });
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(JSON.stringify(checkpoint));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Size and mtime of a file source (null for URLs). */
export async function sourceIdentity(
  source: string,
): Promise<{ size: number | null; mtimeMs: number | null }> {
  try {
    const info = await stat(source);
    return { size: info.size, mtimeMs: Math.trunc(info.mtimeMs) };
  } catch {
    return { size: null, mtimeMs: null };
  }
}
