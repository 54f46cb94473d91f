/**
 * Validation of every record before it is written: id, vector (dims, NaN/Inf, empty,
 * non-numbers), payload (JSON object), duplicate ids. One place, every source format.
 */
import { isPointId, normalizePointId, type Payload, type PointId, uuidV5ForKey } from "../store/contract.js";
import { describeJsonType, MissingNamedVector, type SourceRecord } from "./record.js";

export type IdMapMode = "uuid5" | "keep";
export type DuplicatePolicy = "error" | "last-wins";

/** Payload key that keeps a source id that could not be a point id as is. */
export const ORIGINAL_ID_KEY = "original_id";

export interface ValidationOptions {
  /** Expected vector size; null learns it from the first valid vector. */
  dims: number | null;
  idMap: IdMapMode;
  onDuplicate: DuplicatePolicy;
  /** Rename payload keys: source key → target key. */
  payloadMap?: Record<string, string> | undefined;
  /** When re-embedding: the payload field holding the text; vectors are then not required. */
  textField?: string | undefined;
}

/** A record ready to write. */
export interface ValidPoint {
  index: number;
  id: PointId;
  /** null when the vector will be computed by re-embedding `text`. */
  vector: Float32Array | null;
  payload: Payload;
  text?: string;
  /** True when an earlier record had the same id (written anyway under last-wins). */
  duplicate: boolean;
}

export interface InvalidRecord {
  index: number;
  location: string;
  id: unknown;
  code:
    | "decode_error"
    | "invalid_id"
    | "missing_vector"
    | "empty_vector"
    | "dimension_mismatch"
    | "non_numeric"
    | "non_finite"
    | "invalid_payload"
    | "missing_text"
    | "duplicate_id";
  reason: string;
}

export type Validation = { ok: true; point: ValidPoint } | { ok: false; error: InvalidRecord };

/** Stateful validator (remembers ids for duplicate detection and the learned dims). */
export class RecordValidator {
  private readonly seen = new Set<string | number>();
  dims: number | null;

  constructor(private readonly options: ValidationOptions) {
    this.dims = options.dims;
  }

  validate(record: SourceRecord): Validation {
    const fail = (code: InvalidRecord["code"], reason: string): Validation => ({
      ok: false,
      error: { index: record.index, location: record.location, id: printable(record.id), code, reason },
    });
    if (record.decodeError !== undefined) return fail("decode_error", record.decodeError);

    // Payload first: a mapped id needs somewhere to keep the original.
    let payload: Payload;
    if (record.payload === undefined || record.payload === null) payload = {};
    else if (
      typeof record.payload !== "object" ||
      Array.isArray(record.payload) ||
      ArrayBuffer.isView(record.payload)
    ) {
      return fail(
        "invalid_payload",
        `payload must be a JSON object, got ${describeJsonType(record.payload)}`,
      );
    } else payload = jsonSafe(record.payload) as Payload;
    if (this.options.payloadMap) payload = renameKeys(payload, this.options.payloadMap);

    // Id.
    let id: PointId;
    const raw = typeof record.id === "bigint" ? record.id.toString() : record.id;
    if (isPointId(raw)) id = normalizePointId(raw);
    else if ((typeof raw === "string" && raw !== "") || (typeof raw === "number" && Number.isFinite(raw))) {
      if (this.options.idMap === "keep") {
        return fail(
          "invalid_id",
          `id ${JSON.stringify(raw)} is not an unsigned integer or UUID; use --id-map uuid5 to map it (the original is kept in payload.${ORIGINAL_ID_KEY})`,
        );
      }
      id = uuidV5ForKey(String(raw));
      if (!(ORIGINAL_ID_KEY in payload)) payload = { ...payload, [ORIGINAL_ID_KEY]: raw };
    } else {
      return fail(
        "invalid_id",
        record.id === undefined
          ? "missing id"
          : `id must be a number or string, got ${describeJsonType(record.id)}`,
      );
    }

    // Vector (or the text to embed).
    let vector: Float32Array | null = null;
    let text: string | undefined;
    if (this.options.textField !== undefined) {
      const value = payload[this.options.textField];
      if (typeof value !== "string" || value.trim() === "") {
        return fail(
          "missing_text",
          `payload.${this.options.textField} must be a non-empty string to re-embed`,
        );
      }
      text = value;
    } else {
      const checked = this.checkVector(record.vector);
      if (typeof checked === "string") {
        const [code, reason] = checked.split("|", 2) as [InvalidRecord["code"], string];
        return fail(code, reason);
      }
      vector = checked;
    }

    const key = id;
    const duplicate = this.seen.has(key);
    if (duplicate && this.options.onDuplicate === "error") {
      return fail(
        "duplicate_id",
        `duplicate id ${JSON.stringify(id)} (an earlier record has it; --on-duplicate last-wins keeps the last)`,
      );
    }
    this.seen.add(key);
    return {
      ok: true,
      point: { index: record.index, id, vector, payload, ...(text === undefined ? {} : { text }), duplicate },
    };
  }

  /** A Float32Array, or "code|reason". */
  private checkVector(value: unknown): Float32Array | string {
    if (value instanceof MissingNamedVector) return `missing_vector|${value.describe()}`;
    if (value === undefined || value === null) return "missing_vector|no vector";
    const isArray = Array.isArray(value);
    if (!isArray && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
      return `missing_vector|vector must be an array of numbers, got ${describeJsonType(value)}`;
    }
    const values = value as ArrayLike<unknown>;
    const n = values.length;
    if (n === 0) return "empty_vector|empty vector";
    if (this.dims !== null && n !== this.dims) {
      return `dimension_mismatch|vector has ${n} values, expected ${this.dims}`;
    }
    const out = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const x = values[k];
      if (typeof x !== "number") return `non_numeric|vector[${k}] is ${describeJsonType(x)}, not a number`;
      if (!Number.isFinite(x)) return `non_finite|vector[${k}] is ${String(x)}`;
      const f = Math.fround(x);
      if (!Number.isFinite(f)) return `non_finite|vector[${k}] = ${x} overflows float32`;
      out[k] = f;
    }
    if (this.dims === null) this.dims = n;
    return out;
  }
}

function renameKeys(payload: Payload, map: Record<string, string>): Payload {
  const out: Payload = {};
  for (const [key, value] of Object.entries(payload)) out[map[key] ?? key] = value;
  return out;
}

/**
 * Make a payload JSON-safe (pickles can carry bigints, bytes, NaN): bigints become decimal
 * strings, bytes base64 strings, non-finite numbers null. Plain JSON comes back unchanged.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const safe = jsonSafe(item);
      if (safe !== item) changed = true;
      return safe;
    });
    return changed ? out : value;
  }
  if (typeof value === "object") {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const safe = jsonSafe(item);
      if (safe !== item) changed = true;
      if (safe !== undefined) out[key] = safe;
      else changed = true;
    }
    return changed ? out : value;
  }
  return undefined;
}

function printable(id: unknown): unknown {
  if (typeof id === "bigint") return id.toString();
  if (id === undefined) return null;
  return id;
}
