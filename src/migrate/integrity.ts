/**
 * Integrity check of migrated points: read each written point back from the store and
 * compare it with what was sent. Payloads must be deeply equal (key order ignored); vectors
 * equal after float32 rounding, or, for Cosine collections whose store normalises vectors
 * (Qdrant does), equal in direction within 1e-5.
 */
import type { Distance, Payload, StoredPoint } from "../store/contract.js";

export function payloadsEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, k) => payloadsEqual(item, other[k]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  if (keys.length !== Object.keys(right).filter((key) => right[key] !== undefined).length) return false;
  return keys.every((key) => key in right && payloadsEqual(left[key], right[key]));
}

function norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < vector.length; k++) sum += (vector[k] as number) ** 2;
  return Math.sqrt(sum);
}

export function vectorsEqual(
  sent: Float32Array,
  stored: ArrayLike<number> | undefined,
  distance: Distance,
): boolean {
  if (stored === undefined || stored.length !== sent.length) return false;
  let exact = true;
  for (let k = 0; k < sent.length; k++) {
    if (Math.fround(stored[k] as number) !== sent[k]) {
      exact = false;
      break;
    }
  }
  if (exact || distance !== "Cosine") return exact;
  const a = norm(sent);
  const b = norm(stored);
  if (a === 0 || b === 0) return false;
  for (let k = 0; k < sent.length; k++) {
    if (Math.abs((sent[k] as number) / a - (stored[k] as number) / b) > 1e-5) return false;
  }
  return true;
}

/** Why a stored point differs from the one sent, or null when it matches. */
export function comparePoint(
  sent: { vector: Float32Array; payload: Payload },
  stored: StoredPoint | undefined,
  distance: Distance,
): string | null {
  if (stored === undefined) return "point missing after write";
  if (!vectorsEqual(sent.vector, stored.vector, distance))
    return "stored vector differs from the source vector";
  if (!payloadsEqual(sent.payload, stored.payload ?? {}))
    return "stored payload differs from the source payload";
  return null;
}
