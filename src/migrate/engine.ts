/**
 * The migration engine: stream a source into a collection of any store, in batches, with a
 * backup first, validation of every record, an integrity check of every written point, a
 * checkpoint after every acknowledged batch (resume), and automatic rollback when too many
 * records fail.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type CollectionInfo,
  type Distance,
  type Payload,
  type PointId,
  parseStoreSpec,
  StoreError,
  type VectorStore,
} from "../store/contract.js";
import { exportCollectionToFile, importFileToStore, openStore } from "../store/index.js";
import {
  type Checkpoint,
  checkpointPath,
  type MigrationCounts,
  readCheckpoint,
  removeCheckpoint,
  sourceIdentity,
  writeCheckpoint,
} from "./checkpoint.js";
import { type OpenSourceOptions, openSource } from "./detect.js";
import { MigrationError, MigrationRefusedError } from "./errors.js";
import { comparePoint } from "./integrity.js";
import type { SourceFormat } from "./record.js";
import { type ErrorSample, MAX_ERROR_SAMPLES, type MigrationReport, sampleOf } from "./report.js";
import type { RecordSource } from "./sources/source.js";
import { type DuplicatePolicy, type IdMapMode, RecordValidator, type ValidPoint } from "./validate.js";

/** What `--reembed` needs from an embedder (issue 3's `createEmbedder()` fits it through an adapter). */
export interface MigrationEmbedder {
  readonly modelId: string;
  readonly dims: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface MigrationProgress {
  /** Bytes or points of the source consumed, and the total when known. */
  done: number;
  total: number | null;
  unit: "bytes" | "points";
  read: number;
  written: number;
  failed: number;
}

export interface MigrateOptions {
  /** File path, or `qdrant:URL` / `http(s)://HOST/collections/NAME`. */
  source: string;
  /** Store spec (`embedded:PATH`, `qdrant:URL`) or an open store (left open). */
  store: string | VectorStore;
  collection: string;
  format?: SourceFormat | undefined;
  sidecar?: string | undefined;
  vectorName?: string | undefined;
  sourceCollection?: string | undefined;
  apiKey?: string | undefined;
  /**
   * Decode JSON / JSON Lines sources in a worker thread. Off by default: on the shared 2-core
   * bench machine it was slower (docs/benchmarks.md, "Migration"); it can pay on idle cores.
   */
  readAhead?: boolean | undefined;
  /** Points per write (default 500). */
  batchSize?: number | undefined;
  /** Read and validate everything, write nothing. */
  dryRun?: boolean | undefined;
  /** Continue an interrupted migration from its checkpoint. */
  resume?: boolean | undefined;
  /** Discard an existing checkpoint and start over. */
  restart?: boolean | undefined;
  idMap?: IdMapMode | undefined;
  onDuplicate?: DuplicatePolicy | undefined;
  /** Roll back when failed/read exceeds this (default 0.05). */
  maxFailureRate?: number | undefined;
  /** Back up the target collection before writing (default true). */
  backup?: boolean | undefined;
  /** Checkpoints and backups live here (default `./.planvec/migrate`). */
  stateDir?: string | undefined;
  /** Distance of a collection the migration creates (default: the source's, else Cosine). */
  distance?: Distance | undefined;
  /** Rename payload keys on the way (source key → target key). */
  payloadMap?: Record<string, string> | undefined;
  /** Re-embed `textField` instead of copying vectors. */
  embedder?: MigrationEmbedder | undefined;
  textField?: string | undefined;
  /** Copy vectors even though the target collection records a different (or unknown) model. */
  acceptModelMismatch?: boolean | undefined;
  onProgress?: ((progress: MigrationProgress) => void) | undefined;
}

const DEFAULT_BATCH = 500;
/** Consecutive failed batches after which the store is taken as down and the run stops. */
const MAX_CONSECUTIVE_BATCH_FAILURES = 3;

/**
 * Migrate `options.source` into `options.collection`. Resolves with the report (also when
 * records failed or the run was rolled back: `report.ok` says); rejects only when the run is
 * refused before writing (dimension/model mismatch, checkpoint conflict, unreadable source).
 */
export async function migrate(options: MigrateOptions): Promise<MigrationReport> {
  const sourceOptions: OpenSourceOptions = {
    format: options.format,
    sidecar: options.sidecar,
    vectorName: options.vectorName,
    sourceCollection: options.sourceCollection,
    apiKey: options.apiKey,
    readAhead: options.readAhead,
  };
  const source = await openSource(options.source, sourceOptions);
  const store =
    typeof options.store !== "string"
      ? options.store
      : options.dryRun === true && isMissingEmbeddedStore(options.store)
        ? absentStore(options.store)
        : await openStore(options.store);
  try {
    return await runMigration(source, store, options);
  } finally {
    if (typeof options.store === "string") await store.close();
  }
}

/** A dry run must not create an embedded store directory just to learn it has no collections. */
function isMissingEmbeddedStore(spec: string): boolean {
  try {
    const parsed = parseStoreSpec(spec);
    return parsed.kind === "embedded" && !existsSync(parsed.path);
  } catch {
    return false;
  }
}

/** Stands in for a store that does not exist yet, for dry runs: no collections, no writes. */
function absentStore(location: string): VectorStore {
  return new Proxy({} as VectorStore, {
    get(_target, property) {
      if (property === "kind") return "embedded";
      if (property === "location") return location;
      if (property === "then") return undefined;
      if (property === "close") return async () => {};
      if (property === "collectionInfo") {
        return async (name: string) => {
          throw new StoreError(
            "store.collectionInfo",
            "not_found",
            `collection ${JSON.stringify(name)} does not exist`,
          );
        };
      }
      return () => {
        throw new MigrationError(
          "migrate.dry-run",
          "internal",
          `a dry run must not call store.${String(property)}`,
        );
      };
    },
  });
}

async function collectionInfoOrNull(store: VectorStore, name: string): Promise<CollectionInfo | null> {
  try {
    return await store.collectionInfo(name);
  } catch (error) {
    if (error instanceof StoreError && error.code === "not_found") return null;
    throw error;
  }
}

/** Vector size of the first record that has one (reads one chunk). */
async function peekDims(source: RecordSource): Promise<number | null> {
  for await (const group of source.records()) {
    for (const record of group) {
      const v = record.vector;
      if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
        const length = (v as ArrayLike<number>).length;
        if (length > 0) return length;
      }
    }
  }
  return null;
}

function modelOf(info: CollectionInfo | null): string | null {
  const model = info?.metadata?.modelId;
  return typeof model === "string" ? model : null;
}

async function runMigration(
  source: RecordSource,
  store: VectorStore,
  options: MigrateOptions,
): Promise<MigrationReport> {
  const startedAt = new Date();
  const collection = options.collection;
  const dryRun = options.dryRun === true;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const maxFailureRate = options.maxFailureRate ?? 0.05;
  const embedder = options.embedder;
  const reembed = embedder !== undefined;
  if (reembed && !options.textField) {
    throw new MigrationRefusedError(
      "migrate.start",
      "missing_text_field",
      "--reembed needs --text-field FIELD",
    );
  }
  const warnings: string[] = [];

  // 1. Target vs source: refuse a dimension or model mismatch before touching anything.
  const target = await collectionInfoOrNull(store, collection);
  const targetModel = modelOf(target);
  const sourceModel = source.facts.modelId ?? null;
  const sourceDims = source.facts.dims ?? (await peekDims(source));
  if (reembed) {
    if (target !== null && target.dims !== embedder.dims) {
      throw refuse(
        `collection ${collection} holds ${target.dims}-d vectors but ${embedder.modelId} makes ${embedder.dims}-d vectors; pick another collection`,
      );
    }
    if (targetModel !== null && targetModel !== embedder.modelId && options.acceptModelMismatch !== true) {
      throw refuse(
        `collection ${collection} was embedded with ${targetModel}, the embedder is ${embedder.modelId}`,
      );
    }
  } else {
    const hint =
      "re-embed the text with --reembed --text-field FIELD (e.g. description), or migrate into a new collection";
    if (target !== null && sourceDims !== null && sourceDims !== target.dims) {
      throw refuse(
        `dimension mismatch: the source vectors are ${sourceDims}-d but collection ${collection} holds ${target.dims}-d vectors` +
          ` (model ${targetModel ?? "unknown"}); ${hint}`,
      );
    }
    if (targetModel !== null && sourceModel !== targetModel && options.acceptModelMismatch !== true) {
      throw refuse(
        `model mismatch: collection ${collection} holds vectors of ${targetModel} but the source's vectors come from ` +
          `${sourceModel ?? "an unknown model (legacy data carries no model id)"}; searching them together gives meaningless results; ` +
          `${hint}, or pass --accept-model-mismatch if you know they match`,
      );
    }
    if (sourceModel === null) {
      warnings.push(
        "the source vectors carry no model id: they are copied as is, and queries embedded with another model will not match them (legacy vectorizer vectors were random); use --reembed --text-field to re-vectorise",
      );
    }
  }
  const targetDims = target?.dims ?? (reembed ? embedder.dims : sourceDims);
  const distance: Distance = target?.distance ?? options.distance ?? source.facts.distance ?? "Cosine";

  // 2. Checkpoint: resume, or refuse to silently redo an interrupted run.
  const stateDir = resolve(options.stateDir ?? ".planvec/migrate");
  const identity = await sourceIdentity(options.source);
  const cpPath = checkpointPath(stateDir, resolve(options.source), store.location, collection);
  let checkpoint: Checkpoint | null = dryRun ? null : await readCheckpoint(cpPath);
  if (checkpoint !== null && options.restart === true) {
    await removeCheckpoint(cpPath);
    checkpoint = null;
  }
  if (checkpoint !== null && options.resume !== true) {
    throw refuse(
      `an interrupted migration of ${options.source} into ${collection} exists (${checkpoint.nextIndex} records done, checkpoint ${cpPath}): ` +
        "re-run with --resume to continue it, or --restart to start over",
      "checkpoint_exists",
    );
  }
  if (
    checkpoint !== null &&
    (checkpoint.sourceSize !== identity.size || checkpoint.sourceMtimeMs !== identity.mtimeMs)
  ) {
    throw refuse(
      `${options.source} changed since the interrupted migration (size or modification time differ): cannot resume; use --restart`,
      "source_changed",
    );
  }
  if (options.resume === true && checkpoint === null && !dryRun) {
    warnings.push(
      "--resume: no checkpoint found for this source and collection, starting from the beginning",
    );
  }

  // 3. Backup of the target before the first write.
  let backupFile = checkpoint?.backupFile ?? null;
  const createdCollection = checkpoint?.createdCollection ?? target === null;
  const countBefore = target?.pointCount ?? 0;
  if (!dryRun && checkpoint === null && target !== null) {
    if (options.backup !== false) {
      const dir = join(stateDir, "backups");
      await mkdir(dir, { recursive: true });
      backupFile = join(
        dir,
        `${safeName(collection)}-${startedAt.toISOString().replace(/[:.]/g, "-")}.planvec.jsonl.gz`,
      );
      await exportCollectionToFile(store, collection, backupFile);
    } else {
      warnings.push("--no-backup: the target collection was not backed up; automatic rollback is impossible");
    }
  }

  const counts: MigrationCounts = checkpoint?.counts ?? {
    read: 0,
    written: 0,
    failed: 0,
    duplicates: 0,
    verified: 0,
    integrityFailures: 0,
  };
  const errorSamples: ErrorSample[] = (checkpoint?.errorSamples as ErrorSample[] | undefined) ?? [];
  const errorCodes: Record<string, number> = checkpoint?.errorCodes ?? {};
  const resumeFrom = checkpoint?.nextIndex ?? 0;
  const skipped = resumeFrom;
  const noteError = (sample: ErrorSample): void => {
    errorCodes[sample.code] = (errorCodes[sample.code] ?? 0) + 1;
    if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(sample);
  };

  const validator = new RecordValidator({
    dims: reembed ? null : targetDims,
    idMap: options.idMap ?? "uuid5",
    onDuplicate: options.onDuplicate ?? "error",
    payloadMap: options.payloadMap,
    textField: reembed ? options.textField : undefined,
  });

  const cpBase: Omit<Checkpoint, "nextIndex" | "counts" | "updatedAt" | "errorSamples" | "errorCodes"> = {
    version: 1,
    source: resolve(options.source),
    sourceSize: identity.size,
    sourceMtimeMs: identity.mtimeMs,
    store: store.location,
    collection,
    backupFile,
    createdCollection,
    startedAt: checkpoint?.startedAt ?? startedAt.toISOString(),
  };
  let collectionReady = target !== null;
  let consumedIndex = resumeFrom - 1;
  let consecutiveFailures = 0;
  let batch: ValidPoint[] = [];
  let batchIds = new Set<PointId>();
  let fatal: string | null = null;
  let rollbackReason: string | null = null;

  const flush = async (): Promise<void> => {
    const points = batch;
    batch = [];
    batchIds = new Set();
    if (dryRun || points.length === 0) {
      if (!dryRun) await saveCheckpoint();
      return;
    }
    const vectors = reembed
      ? await embedBatch(embedder, points)
      : points.map((p) => p.vector as Float32Array);
    if (!collectionReady) {
      const dims = reembed ? embedder.dims : validator.dims;
      const metadata: Payload = { migratedFrom: source.description };
      const model = reembed ? embedder.modelId : sourceModel;
      if (model !== null) metadata.modelId = model;
      await store.ensureCollection(collection, { dims: dims as number, distance, metadata });
      collectionReady = true;
    }
    try {
      await store.upsert(
        collection,
        points.map((p, k) => ({ id: p.id, vector: vectors[k] as Float32Array, payload: p.payload })),
        { batchSize: points.length },
      );
      consecutiveFailures = 0;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      consecutiveFailures++;
      counts.failed += points.length;
      for (const p of points) {
        noteError({
          index: p.index,
          location: `record ${p.index}`,
          id: p.id,
          code: `store_${error.code}`,
          reason: error.message,
        });
      }
      if (consecutiveFailures >= MAX_CONSECUTIVE_BATCH_FAILURES) {
        throw new MigrationError(
          "migrate.write",
          "store_failing",
          `${consecutiveFailures} batches in a row failed: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      await saveCheckpoint();
      return;
    }
    counts.written += points.length;
    // Integrity: read every point back and compare with what was sent.
    const stored = await store.get(
      collection,
      points.map((p) => p.id),
      { withPayload: true, withVector: true },
    );
    const byId = new Map(stored.map((s) => [s.id, s]));
    points.forEach((p, k) => {
      const problem = comparePoint(
        { vector: vectors[k] as Float32Array, payload: p.payload },
        byId.get(p.id),
        distance,
      );
      if (problem === null) counts.verified++;
      else {
        counts.integrityFailures++;
        counts.failed++;
        noteError({
          index: p.index,
          location: `record ${p.index}`,
          id: p.id,
          code: "integrity",
          reason: problem,
        });
      }
    });
    await saveCheckpoint();
  };

  async function saveCheckpoint(): Promise<void> {
    await writeCheckpoint(cpPath, {
      ...cpBase,
      nextIndex: consumedIndex + 1,
      counts,
      updatedAt: new Date().toISOString(),
      errorSamples,
      errorCodes,
    });
  }

  const report = (): MigrationProgress => ({
    ...source.progress(),
    read: counts.read,
    written: counts.written,
    failed: counts.failed,
  });
  const expectedTotal = source.facts.count;

  try {
    for await (const group of source.records()) {
      for (const record of group) {
        if (record.index < resumeFrom) {
          validator.validate(record); // rebuilds the duplicate-id set and learned dims
          continue;
        }
        const result = validator.validate(record);
        // A repeated id inside one batch: write the earlier one first, so "last wins" holds.
        // (Before counting this record: the checkpoint written by that flush must not include it.)
        if (result.ok && batchIds.has(result.point.id)) await flush();
        counts.read++;
        if (!result.ok) {
          counts.failed++;
          noteError(sampleOf(result.error));
          consumedIndex = record.index;
          continue;
        }
        const point = result.point;
        if (point.duplicate) counts.duplicates++;
        batch.push(point);
        batchIds.add(point.id);
        consumedIndex = record.index;
        if (batch.length >= batchSize) await flush();
      }
      options.onProgress?.(report());
      if (
        expectedTotal !== undefined &&
        expectedTotal > 0 &&
        counts.failed / expectedTotal > maxFailureRate
      ) {
        rollbackReason = `${counts.failed} of ${expectedTotal} records failed already, above --max-failure-rate ${maxFailureRate}`;
        break;
      }
    }
    if (rollbackReason === null) await flush();
  } catch (error) {
    fatal = error instanceof Error ? error.message : String(error);
  }
  options.onProgress?.(report());

  const failureRate = counts.read === 0 ? 0 : counts.failed / counts.read;
  if (rollbackReason === null && failureRate > maxFailureRate) {
    rollbackReason = `${counts.failed} of ${counts.read} records failed (${(failureRate * 100).toFixed(2)} %), above --max-failure-rate ${maxFailureRate}`;
  }
  if (rollbackReason === null && fatal !== null) rollbackReason = `the migration stopped: ${fatal}`;

  let rolledBack = false;
  if (!dryRun && rollbackReason !== null) {
    try {
      if (createdCollection) await store.dropCollection(collection);
      else if (backupFile !== null) await restoreBackup(store, backupFile, collection);
      else throw new MigrationError("migrate.rollback", "no_backup", "no backup was taken (--no-backup)");
      rolledBack = true;
      await removeCheckpoint(cpPath);
    } catch (error) {
      rollbackReason += `; rollback FAILED: ${(error as Error).message}${backupFile ? ` (restore by hand: planvec restore ${backupFile})` : ""}`;
    }
  } else if (!dryRun) {
    await removeCheckpoint(cpPath);
  }

  const after = dryRun ? target : await collectionInfoOrNull(store, collection);
  if (reembed && after !== null && !rolledBack && modelOf(after) !== embedder.modelId) {
    warnings.push(
      `collection ${collection} records model ${modelOf(after) ?? "none"} but its new vectors come from ${embedder.modelId}`,
    );
  }
  const finishedAt = new Date();
  const durationMs = finishedAt.getTime() - startedAt.getTime();
  const progress = source.progress();
  const megabytes = progress.unit === "bytes" && progress.done > 0 ? progress.done / 1e6 : null;
  return {
    ok: counts.failed === 0 && fatal === null && rollbackReason === null,
    dryRun,
    source: {
      spec: options.source,
      format: source.format,
      description: source.description,
      gzip: source.facts.gzip === true,
      modelId: sourceModel,
      dims: sourceDims,
    },
    target: {
      store: store.location,
      collection,
      dims: after?.dims ?? targetDims,
      distance: after?.distance ?? distance,
      modelId: modelOf(after) ?? (reembed ? embedder.modelId : null),
      created: createdCollection && !dryRun && !rolledBack,
      countBefore,
      countAfter: after?.pointCount ?? (dryRun ? countBefore : 0),
    },
    vectors: reembed
      ? { mode: "reembedded", textField: options.textField as string, model: embedder.modelId }
      : { mode: "copied" },
    counts: { ...counts, skipped },
    failureRate,
    maxFailureRate,
    rolledBack,
    rollbackReason,
    backupFile,
    resumedFromIndex: checkpoint === null ? null : resumeFrom,
    errorsByCode: errorCodes,
    errorSamples,
    warnings,
    fatal,
    durationMs,
    throughput: {
      recordsPerSecond: durationMs > 0 ? (counts.read / durationMs) * 1000 : 0,
      megabytesPerSecond: megabytes === null || durationMs === 0 ? null : megabytes / (durationMs / 1000),
    },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
}

async function embedBatch(embedder: MigrationEmbedder, points: ValidPoint[]): Promise<Float32Array[]> {
  const vectors = await embedder.embed(points.map((p) => p.text as string));
  if (vectors.length !== points.length || vectors.some((v) => v.length !== embedder.dims)) {
    throw new MigrationError(
      "migrate.reembed",
      "embedder_output",
      `embedder ${embedder.modelId} returned vectors of the wrong count or size`,
    );
  }
  return vectors;
}

function refuse(message: string, code = "mismatch"): MigrationRefusedError {
  return new MigrationRefusedError("migrate.start", code, message);
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * Replace a collection with the content of a backup (portable export file): drop it, then
 * import. Used by automatic rollback and `planvec restore`. Re-running after an interruption
 * is safe (it drops and imports again).
 */
export async function restoreBackup(
  store: VectorStore,
  file: string,
  collection?: string,
): Promise<{ collection: string; points: number }> {
  const { readPortableFile } = await import("../store/portable.js");
  const { header } = await readPortableFile(file); // validates the header before anything is dropped
  const name = collection ?? header.collection;
  await store.dropCollection(name);
  const result = await importFileToStore(store, file, { collection: name });
  return { collection: result.collection, points: result.points };
}
