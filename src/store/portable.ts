/**
 * The portable collection format: gzip-compressed JSON Lines. Line 1 is a
 * {@link PortableHeader}; every following line is one {@link PortablePoint}. It is the backup
 * and migration format between any two stores (embedded ↔ Qdrant), readable with
 * `zcat FILE | jq`.
 */
import { once } from "node:events";
import { constants, createReadStream, createWriteStream } from "node:fs";
import { access, rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip, createGzip } from "node:zlib";
import {
  type CollectionSpec,
  type Distance,
  normalizePointId,
  type Payload,
  type PointId,
  StoreError,
  type VectorStore,
} from "./contract.js";

/** Value of `format` in every header. */
export const PORTABLE_FORMAT = "planvec.points" as const;
/** Current format version. Readers accept every version ≤ this. */
export const PORTABLE_VERSION = 1 as const;

/** First line of a portable file. */
export interface PortableHeader {
  format: typeof PORTABLE_FORMAT;
  version: number;
  /** Source collection name (the import target unless overridden). */
  collection: string;
  dims: number;
  distance: Distance;
  /** Embedding model that produced the vectors, null when unknown. */
  modelId: string | null;
  /** Number of point lines that follow, when known at write time (checked on import). */
  pointCount?: number | null;
  /** ISO-8601 time of export. */
  createdAt: string;
  /** Collection metadata, carried over on import. */
  metadata?: Payload | null;
}

/** One point line. */
export interface PortablePoint {
  id: PointId;
  vector: number[];
  payload: Payload;
}

/**
 * Round a float32 value to 9 significant digits: always enough to get the same float32 back,
 * and about half the characters of the float64 rendering JSON would otherwise print.
 */
function compactFloat(x: number): number {
  return Number(Math.fround(x).toPrecision(9));
}

/** Serialise one point line (no trailing newline). */
export function encodePortablePoint(point: PortablePoint): string {
  return JSON.stringify({ id: point.id, vector: point.vector.map(compactFloat), payload: point.payload });
}

/**
 * Write a portable file: header then points. Written to `FILE.tmp` and renamed when complete,
 * so a failed export never leaves a truncated file under the final name.
 */
export async function writePortableFile(
  file: string,
  header: PortableHeader,
  points: AsyncIterable<PortablePoint> | Iterable<PortablePoint>,
): Promise<{ points: number }> {
  const tmp = `${file}.tmp`;
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(tmp);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    gzip.on("error", reject);
  });
  gzip.pipe(out);
  const write = async (line: string): Promise<void> => {
    if (!gzip.write(`${line}\n`)) await once(gzip, "drain");
  };
  let count = 0;
  try {
    await write(JSON.stringify(header));
    for await (const point of points) {
      await write(encodePortablePoint(point));
      count++;
    }
    gzip.end();
    await done;
    await rename(tmp, file);
  } catch (error) {
    gzip.destroy();
    out.destroy();
    await rm(tmp, { force: true });
    throw error instanceof StoreError
      ? error
      : new StoreError("store.export", "internal", `cannot write ${file}: ${String(error)}`, {
          cause: error,
        });
  }
  return { points: count };
}

/**
 * Open a portable file: the validated header, and a one-shot stream of its points (each line
 * validated; a bad line fails with `invalid_argument` naming the file and line number).
 */
export async function readPortableFile(
  file: string,
): Promise<{ header: PortableHeader; points: AsyncIterable<PortablePoint> }> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    throw new StoreError(
      "store.import",
      "invalid_argument",
      `cannot read ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  const fail = (line: number, what: string, cause?: unknown): StoreError =>
    new StoreError("store.import", "invalid_argument", `${file}:${line}: ${what}`, { cause });
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (error) {
    throw fail(1, `not a gzip JSON Lines file (${String(error)})`, error);
  }
  if (first.done) throw fail(1, "empty file, expected a header line");
  const header = parseHeader(first.value, (what, cause) => fail(1, what, cause));
  async function* points(): AsyncIterable<PortablePoint> {
    let lineNo = 1;
    let count = 0;
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) break;
        lineNo++;
        if (next.value.trim() === "") continue;
        yield parsePoint(next.value, header.dims, (what, cause) => fail(lineNo, what, cause));
        count++;
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw fail(lineNo + 1, `cannot read (${String(error)})`, error);
    }
    if (typeof header.pointCount === "number" && header.pointCount !== count) {
      throw fail(
        lineNo,
        `header announces ${header.pointCount} points but the file holds ${count} (truncated?)`,
      );
    }
  }
  return { header, points: points() };
}

type Fail = (what: string, cause?: unknown) => StoreError;

function parseJson(line: string, fail: Fail): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw fail("invalid JSON", error);
  }
}

/** Validate a header line. */
export function parseHeader(line: string, fail: Fail): PortableHeader {
  const h = parseJson(line, fail) as Partial<PortableHeader> | null;
  if (h === null || typeof h !== "object" || h.format !== PORTABLE_FORMAT) {
    throw fail(`not a planvec portable file (header "format" must be "${PORTABLE_FORMAT}")`);
  }
  if (typeof h.version !== "number" || h.version > PORTABLE_VERSION) {
    throw fail(`unsupported format version ${String(h.version)} (this planvec reads ≤ ${PORTABLE_VERSION})`);
  }
  if (typeof h.dims !== "number" || !Number.isInteger(h.dims) || h.dims < 1)
    throw fail('header "dims" must be a positive integer');
  if (h.distance !== "Cosine" && h.distance !== "Dot" && h.distance !== "Euclid") {
    throw fail('header "distance" must be Cosine, Dot or Euclid');
  }
  if (typeof h.collection !== "string" || h.collection === "")
    throw fail('header "collection" must be a non-empty string');
  return {
    format: PORTABLE_FORMAT,
    version: h.version,
    collection: h.collection,
    dims: h.dims,
    distance: h.distance,
    modelId: typeof h.modelId === "string" ? h.modelId : null,
    pointCount: typeof h.pointCount === "number" ? h.pointCount : null,
    createdAt: typeof h.createdAt === "string" ? h.createdAt : "",
    metadata: h.metadata && typeof h.metadata === "object" ? h.metadata : null,
  };
}

function parsePoint(line: string, dims: number, fail: Fail): PortablePoint {
  const p = parseJson(line, fail) as Partial<PortablePoint> | null;
  if (p === null || typeof p !== "object") throw fail("point line must be a JSON object");
  let id: PointId;
  try {
    id = normalizePointId(p.id, "store.import");
  } catch (error) {
    throw fail(`bad "id": ${(error as Error).message}`, error);
  }
  if (!Array.isArray(p.vector) || p.vector.length !== dims) {
    throw fail(`"vector" must be an array of ${dims} numbers (header dims)`);
  }
  for (const x of p.vector)
    if (typeof x !== "number" || !Number.isFinite(x)) throw fail('"vector" holds a non-finite number');
  const payload = p.payload ?? {};
  if (typeof payload !== "object" || Array.isArray(payload)) throw fail('"payload" must be a JSON object');
  return { id, vector: p.vector, payload: payload as Payload };
}

/**
 * Export a whole collection of `store` to `file`. `modelId` defaults to the collection's
 * `metadata.modelId` when set.
 */
export async function exportCollectionToFile(
  store: VectorStore,
  collection: string,
  file: string,
  options: { modelId?: string | null } = {},
): Promise<{ header: PortableHeader; points: number }> {
  const info = await store.collectionInfo(collection);
  const metaModel = typeof info.metadata?.modelId === "string" ? info.metadata.modelId : null;
  const header: PortableHeader = {
    format: PORTABLE_FORMAT,
    version: PORTABLE_VERSION,
    collection,
    dims: info.dims,
    distance: info.distance,
    modelId: options.modelId ?? metaModel,
    pointCount: info.pointCount,
    createdAt: new Date().toISOString(),
    metadata: info.metadata ?? null,
  };
  async function* points(): AsyncIterable<PortablePoint> {
    for await (const p of store.exportPoints(collection))
      yield { id: p.id, vector: p.vector, payload: p.payload };
  }
  let streamed = 0;
  const counted = async function* () {
    streamed = 0;
    for await (const p of points()) {
      streamed++;
      yield p;
    }
  };
  if (store.kind === "embedded") {
    // Embedded exports stream one SQLite snapshot; if a write landed between reading the count
    // and opening the snapshot, the announced count is wrong: write again without one.
    const first = await writePortableFile(file, header, counted());
    if (first.points === header.pointCount) return { header, points: first.points };
  }
  // Remote stores give no snapshot: announce no count rather than a wrong one.
  header.pointCount = null;
  const result = await writePortableFile(file, header, counted());
  return { header: { ...header, pointCount: streamed }, points: result.points };
}

/**
 * Import a portable file into `store` (collection from the header unless `collection` is
 * given). The collection is created if missing; an existing one must have the same dims.
 */
export async function importFileToStore(
  store: VectorStore,
  file: string,
  options: { collection?: string; batchSize?: number } = {},
): Promise<{ header: PortableHeader; collection: string; points: number }> {
  const { header, points } = await readPortableFile(file);
  const collection = options.collection ?? header.collection;
  const spec: CollectionSpec = {
    dims: header.dims,
    distance: header.distance,
    metadata: { ...(header.metadata ?? {}), ...(header.modelId ? { modelId: header.modelId } : {}) },
  };
  await store.ensureCollection(collection, spec);
  const result = await store.upsert(collection, points, { batchSize: options.batchSize ?? 1000 });
  return { header, collection, points: result.upserted };
}
