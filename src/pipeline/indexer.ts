import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Embedder } from "../embedding/embedder.js";
import { type PointId, uuidV5ForKey, type VectorStore } from "../store/index.js";
import { type DiscoveredFile, discoverFiles, displayFile, type KindGlobs, looksBinary } from "./discover.js";
import type { FileRow, IndexState, RecordRow } from "./index-state.js";
import { COLLECTIONS, type SourceRecord, type SourceWarning } from "./records.js";

export interface IndexProgress {
  phase: "discover" | "index" | "delete" | "done";
  file?: string;
  filesDone: number;
  filesTotal: number;
  recordsEmbedded: number;
  elapsedMs: number;
}

export interface IndexRunOptions {
  roots: string[];
  kinds: KindGlobs[];
  store: VectorStore;
  embedder: Embedder;
  state: IndexState;
  /** Re-read every file even when size and mtime are unchanged. */
  force?: boolean;
  onProgress?: (progress: IndexProgress) => void;
  /** Stop between files when aborted (the state stays consistent). */
  signal?: AbortSignal;
  cwd?: string;
}

export interface IndexSummary {
  files: { seen: number; changed: number; unchanged: number; removed: number; skipped: number };
  records: { total: number; embedded: number; payloadOnly: number; unchanged: number; deleted: number };
  collections: Record<string, number>;
  warnings: SourceWarning[];
  durationMs: number;
  modelId: string;
}

/**
 * Bring the store and the index state in line with the files under `roots`: new and changed
 * files are extracted, records whose text changed are embedded (through the embedder's
 * cache) and upserted, payload-only changes are written without embedding, vanished records
 * and files are deleted. Point ids are UUIDv5 of the record key, so re-running after a kill
 * rewrites the same points: the run converges to the same state.
 */
export async function indexSources(options: IndexRunOptions): Promise<IndexSummary> {
  const started = Date.now();
  const { store, embedder, state } = options;
  const cwd = options.cwd ?? process.cwd();
  const summary: IndexSummary = {
    files: { seen: 0, changed: 0, unchanged: 0, removed: 0, skipped: 0 },
    records: { total: 0, embedded: 0, payloadOnly: 0, unchanged: 0, deleted: 0 },
    collections: {},
    warnings: [],
    durationMs: 0,
    modelId: embedder.modelId,
  };
  const report = (progress: Omit<IndexProgress, "elapsedMs" | "recordsEmbedded">) =>
    options.onProgress?.({
      ...progress,
      recordsEmbedded: summary.records.embedded,
      elapsedMs: Date.now() - started,
    });

  for (const collection of COLLECTIONS) {
    await store.ensureCollection(collection, {
      dims: embedder.dims,
      distance: "Cosine",
      metadata: { modelId: embedder.modelId },
    });
  }
  const modelChanged = state.getMeta("model_id") !== embedder.modelId;

  report({ phase: "discover", filesDone: 0, filesTotal: 0 });
  const files = await discoverFiles(options.roots, options.kinds, cwd);
  summary.files.seen = files.length;

  // Files are prepared (read, parsed, embedded) a few ahead of the one being written, so the
  // embedder's workers stay busy while the store commits and small files do not leave them idle.
  // Writes stay in file order; a kill loses only prepared work, which the cache keeps.
  const fileOptions = { ...options, force: options.force || modelChanged };
  const ahead: Promise<PreparedFile | null>[] = [];
  const prepareNext = (i: number) => {
    const file = files[i];
    if (!file) return;
    const prepared = prepareFile(file, fileOptions, summary);
    prepared.catch(() => undefined); // awaited in order below; not an unhandled rejection meanwhile
    ahead.push(prepared);
  };
  for (let i = 0; i < Math.min(PREPARE_AHEAD, files.length); i++) prepareNext(i);
  for (let i = 0; i < files.length; i++) {
    if (options.signal?.aborted) break;
    const file = files[i] as DiscoveredFile;
    report({ phase: "index", file: file.file, filesDone: i, filesTotal: files.length });
    const prepared = await (ahead.shift() as Promise<PreparedFile | null>);
    if (!options.signal?.aborted) prepareNext(i + PREPARE_AHEAD);
    if (prepared) await commitFile(prepared, fileOptions, summary);
  }
  // After an abort, let preparations in flight settle before the caller closes the embedder.
  await Promise.allSettled(ahead);

  if (!options.signal?.aborted) {
    report({ phase: "delete", filesDone: files.length, filesTotal: files.length });
    const present = new Set(files.map((file) => file.file));
    const rootPrefixes = options.roots.map((root) => displayFile(resolve(cwd, root), cwd));
    for (const row of state.files()) {
      if (present.has(row.file) || !rootPrefixes.some((prefix) => isUnder(row.file, prefix))) continue;
      const records = [...state.recordsOfFile(row.file).values()];
      await deletePoints(store, records);
      state.forgetFile(row.file);
      summary.files.removed++;
      summary.records.deleted += records.length;
    }
    state.setMeta("model_id", embedder.modelId);
  }

  summary.collections = state.counts();
  summary.records.total = Object.values(summary.collections).reduce((a, b) => a + b, 0);
  summary.durationMs = Date.now() - started;
  report({ phase: "done", filesDone: files.length, filesTotal: files.length });
  return summary;
}

/** Files read, parsed and embedded ahead of the one being written. */
const PREPARE_AHEAD = 3;

/** A changed file, parsed and embedded, ready to be written to the store and the state. */
interface PreparedFile {
  row: FileRow;
  toEmbed: { record: SourceRecord; row: RecordRow }[];
  vectors: Float32Array[];
  payloadOnly: RecordRow[];
  deleted: RecordRow[];
}

/**
 * Read, parse and embed one file; null when it needs no writing (unchanged or binary). Of the
 * state it writes only an unchanged file's new size and mtime: its records are committed by
 * commitFile, in file order.
 */
async function prepareFile(
  file: DiscoveredFile,
  options: IndexRunOptions,
  summary: IndexSummary,
): Promise<PreparedFile | null> {
  const { state, embedder } = options;
  const info = await stat(file.path);
  const previous = state.file(file.file);
  if (!options.force && previous && previous.size === info.size && previous.mtimeMs === info.mtimeMs) {
    summary.files.unchanged++;
    return null;
  }
  const bytes = await readFile(file.path);
  const hash = sha256(bytes);
  const row: FileRow = {
    file: file.file,
    kind: file.extractor.kind,
    size: info.size,
    mtimeMs: info.mtimeMs,
    hash,
  };
  if (!options.force && previous && previous.hash === hash) {
    state.touchFile(row); // only its size and mtime: nothing another file's commit reads
    summary.files.unchanged++;
    return null;
  }
  if (await looksBinary(file.path)) {
    summary.files.skipped++;
    summary.warnings.push({
      file: file.file,
      line: 1,
      code: "binary-file",
      message: "binary content; skipped",
    });
    return null;
  }
  summary.files.changed++;

  const extracted = file.extractor.extract(file.file, bytes);
  summary.warnings.push(...extracted.warnings);
  const old = state.recordsOfFile(file.file);
  const toEmbed: { record: SourceRecord; row: RecordRow }[] = [];
  const payloadOnly: RecordRow[] = [];
  const seenKeys = new Set<string>();
  for (const record of extracted.records) {
    if (seenKeys.has(record.key)) {
      summary.warnings.push({
        file: file.file,
        line: record.payload.line,
        code: "duplicate-key",
        message: `record key ${record.key} repeated; kept the first`,
      });
      continue;
    }
    seenKeys.add(record.key);
    const next: RecordRow = {
      key: record.key,
      file: file.file,
      collection: record.collection,
      pointId: uuidV5ForKey(record.key),
      textHash: sha256(`${embedder.modelId}\u0000${record.text}`),
      payloadHash: sha256(JSON.stringify(record.payload)),
      title: record.payload.title,
      section: record.payload.section.join(" > "),
      text: record.text,
      payload: record.payload,
    };
    const before = old.get(record.key);
    if (
      !options.force &&
      before &&
      before.textHash === next.textHash &&
      before.collection === next.collection
    ) {
      if (before.payloadHash === next.payloadHash) summary.records.unchanged++;
      else payloadOnly.push(next);
    } else {
      toEmbed.push({ record, row: next });
    }
  }
  const deleted = [...old.values()].filter((row) => !seenKeys.has(row.key));

  // The embedder sorts by length itself, so titles and long chunks are not padded together.
  const vectors = toEmbed.length > 0 ? await embedder.embed(toEmbed.map((item) => item.record.text)) : [];
  return { row, toEmbed, vectors, payloadOnly, deleted };
}

/** Write a prepared file: upserts, payload-only updates, deletions, then the state. */
async function commitFile(
  prepared: PreparedFile,
  options: IndexRunOptions,
  summary: IndexSummary,
): Promise<void> {
  const { state, store } = options;
  const { row, toEmbed, vectors, payloadOnly, deleted } = prepared;
  if (toEmbed.length > 0) {
    const byCollection = new Map<
      string,
      { id: PointId; vector: Float32Array; payload: Record<string, unknown> }[]
    >();
    toEmbed.forEach((item, i) => {
      const points = byCollection.get(item.row.collection) ?? [];
      points.push({
        id: item.row.pointId,
        vector: vectors[i] as Float32Array,
        payload: storedPayload(item.row),
      });
      byCollection.set(item.row.collection, points);
    });
    for (const [collection, points] of byCollection) await store.upsert(collection, points);
    summary.records.embedded += toEmbed.length;
  }
  for (const next of payloadOnly) {
    await store.overwritePayload(next.collection, storedPayload(next), [next.pointId]);
  }
  summary.records.payloadOnly += payloadOnly.length;
  await deletePoints(store, deleted);
  summary.records.deleted += deleted.length;
  // Only now, with the store up to date, does the state say so.
  state.commitFile(
    row,
    [...toEmbed.map((item) => item.row), ...payloadOnly],
    deleted.map((row) => row.key),
  );
}

/** What the vector store keeps with each point: the record's payload plus its key and text. */
function storedPayload(row: RecordRow): Record<string, unknown> {
  return { ...row.payload, key: row.key, text: row.text };
}

async function deletePoints(store: VectorStore, rows: RecordRow[]): Promise<void> {
  const byCollection = new Map<string, PointId[]>();
  for (const row of rows)
    byCollection.set(row.collection, [...(byCollection.get(row.collection) ?? []), row.pointId]);
  for (const [collection, ids] of byCollection) await store.delete(collection, ids);
}

function isUnder(file: string, prefix: string): boolean {
  const clean = prefix.replace(/\/+$/, "");
  return clean === "" || clean === "." || file === clean || file.startsWith(`${clean}/`);
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
