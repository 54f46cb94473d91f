/**
 * The one shape every source reader produces, whatever the input format, and the mapping
 * from the known legacy shapes onto it. Validation (dims, ids, NaN) happens later, in
 * `validate.ts`, so that readers stay dumb and every format gets the same checks.
 */

/** Input formats `planvec migrate` understands (`--format`). */
export type SourceFormat =
  | "json" // a JSON array, or an object holding a `points` array (legacy vectorizer, Go migrator)
  | "jsonl" // one record per line, either shape
  | "npy" // NumPy 2-D array + sidecar JSON/JSONL of ids and payloads
  | "pickle" // Python pickle (protocols 2-5) of plain lists/dicts, read without executing code
  | "qdrant" // a collection of a running Qdrant (or planvec's Qdrant-compatible server)
  | "planvec"; // planvec's own portable export (JSON Lines with a header, usually gzip)

export const SOURCE_FORMATS: readonly SourceFormat[] = [
  "json",
  "jsonl",
  "npy",
  "pickle",
  "qdrant",
  "planvec",
];

/** One record read from a source, before validation. */
export interface SourceRecord {
  /** 0-based position in the source; the checkpoint and error samples refer to it. */
  index: number;
  /** Human location for error messages, e.g. `line 12` or `row 4`. */
  location: string;
  /** The id as found (number, string, or anything else, which validation rejects). */
  id: unknown;
  /** The vector as found (array of numbers, typed array, or garbage, which validation rejects). */
  vector: unknown;
  /** The payload as found (validation requires an object or null). */
  payload: unknown;
  /** Set when the reader could not decode the record at all (e.g. invalid JSON in one element). */
  decodeError?: string;
}

/** Options that change how raw objects map onto records. */
export interface ShapeOptions {
  /** Named vector to take when `vector` is an object of named vectors (Qdrant's named vectors). */
  vectorName?: string | undefined;
}

const VECTOR_KEYS = ["vector", "embedding", "values"] as const;

/**
 * Map a decoded object of any supported shape onto a record:
 * - legacy vectorizer / Qdrant point: `{id, vector, payload}`
 * - Go migrator: `{id, vector, metadata, source}` (`source` is kept in the payload as `source`,
 *   unless `metadata` already has that key, then as `_source`)
 * - `vector` may also be called `embedding` or `values`, and may be a map of named vectors.
 */
export function recordFromObject(
  raw: unknown,
  index: number,
  location: string,
  options: ShapeOptions = {},
): SourceRecord {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return {
      index,
      location,
      id: undefined,
      vector: undefined,
      payload: undefined,
      decodeError: `expected an object with id and vector, got ${describeJsonType(raw)}`,
    };
  }
  const object = raw as Record<string, unknown>;
  let vector: unknown;
  for (const key of VECTOR_KEYS) {
    if (key in object) {
      vector = object[key];
      break;
    }
  }
  let payload: unknown = object.payload;
  if (payload === undefined && ("metadata" in object || "source" in object)) {
    const metadata = object.metadata;
    if (metadata === undefined || metadata === null) payload = {};
    else payload = metadata;
    if (
      object.source !== undefined &&
      payload !== null &&
      typeof payload === "object" &&
      !Array.isArray(payload)
    ) {
      const merged = { ...(payload as Record<string, unknown>) };
      merged["source" in merged ? "_source" : "source"] = object.source;
      payload = merged;
    }
  }
  return { index, location, id: object.id, vector: pickNamedVector(vector, options.vectorName), payload };
}

/** Qdrant named vectors: `{ "text": [...], "image": [...] }`. Take the chosen one, or the only one. */
function pickNamedVector(vector: unknown, name: string | undefined): unknown {
  if (vector === null || typeof vector !== "object" || Array.isArray(vector) || ArrayBuffer.isView(vector)) {
    return vector;
  }
  const named = vector as Record<string, unknown>;
  const names = Object.keys(named);
  if (name !== undefined) return name in named ? named[name] : new MissingNamedVector(name, names);
  if (names.length === 1) return named[names[0] as string];
  return new MissingNamedVector(undefined, names);
}

/** Marker validation turns into a clear error ("choose one with --vector-name"). */
export class MissingNamedVector {
  constructor(
    readonly wanted: string | undefined,
    readonly available: string[],
  ) {}

  describe(): string {
    if (this.wanted !== undefined) {
      return `named vector "${this.wanted}" not found (available: ${this.available.join(", ") || "none"})`;
    }
    return `record has several named vectors (${this.available.join(", ")}): choose one with --vector-name`;
  }
}

export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (ArrayBuffer.isView(value)) return "a typed array";
  return `a ${typeof value}`;
}
