/**
 * Double-encoded UTF-8 ("mojibake"): UTF-8 bytes that were decoded as Windows-1252 or
 * Latin-1 and encoded again, so `é` reads `Ã©`. We find runs of characters whose
 * Windows-1252 bytes form a valid multi-byte UTF-8 sequence, which ordinary French or
 * English text practically never contains.
 */
import { encodeWindows1252Char } from "./cp1252.js";

const CONTINUATION_CLASS = "\\u0080-\\u00BF€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
// A lead byte (2-, 3- or 4-byte sequence) followed by continuation bytes, as cp1252 text.
const MOJIBAKE_PATTERN = new RegExp(
  `[\\u00C2-\\u00DF][${CONTINUATION_CLASS}]|[\\u00E0-\\u00EF][${CONTINUATION_CLASS}]{2}|[\\u00F0-\\u00F4][${CONTINUATION_CLASS}]{3}`,
  "gu",
);

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decode one suspicious run back to the character it encoded, or undefined if it is not mojibake. */
function repairRun(run: string): string | undefined {
  const bytes: number[] = [];
  for (const char of run) {
    const byte = encodeWindows1252Char(char);
    if (byte === undefined) return undefined;
    bytes.push(byte);
  }
  try {
    const decoded = strictUtf8.decode(Uint8Array.from(bytes));
    return [...decoded].length === 1 ? decoded : undefined;
  } catch {
    return undefined;
  }
}

export interface MojibakeHit {
  /** 1-based line. */
  line: number;
  found: string;
  meant: string;
}

/** Every double-encoded sequence in the text, with its line and what it meant. */
export function findMojibake(text: string, limit = Number.POSITIVE_INFINITY): MojibakeHit[] {
  const hits: MojibakeHit[] = [];
  let line = 1;
  let scanned = 0;
  for (const match of text.matchAll(MOJIBAKE_PATTERN)) {
    const meant = repairRun(match[0]);
    if (meant === undefined) continue;
    line += countNewlines(text, scanned, match.index);
    scanned = match.index;
    hits.push({ line, found: match[0], meant });
    if (hits.length >= limit) break;
  }
  return hits;
}

/** Replace every double-encoded sequence by the character it meant. */
export function repairMojibake(text: string): { text: string; repaired: number } {
  let repaired = 0;
  const fixed = text.replace(MOJIBAKE_PATTERN, (run) => {
    const meant = repairRun(run);
    if (meant === undefined) return run;
    repaired++;
    return meant;
  });
  return { text: fixed, repaired };
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) count++;
  return count;
}
