/**
 * Double-encoded UTF-8 ("mojibake"): UTF-8 bytes that were decoded as Windows-1252 or
 * Latin-1 and encoded again, so `é` reads `Ã©`. We find runs of characters whose
 * Windows-1252 bytes form a valid multi-byte UTF-8 sequence, which ordinary French or
 * English text practically never contains.
 */

// Characters Windows-1252 puts at 0x80-0x9F, and the byte each stands for.
const CP1252_HIGH: Record<string, number> = {
  "€": 0x80,
  "‚": 0x82,
  ƒ: 0x83,
  "„": 0x84,
  "…": 0x85,
  "†": 0x86,
  "‡": 0x87,
  ˆ: 0x88,
  "‰": 0x89,
  Š: 0x8a,
  "‹": 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  "‘": 0x91,
  "’": 0x92,
  "“": 0x93,
  "”": 0x94,
  "•": 0x95,
  "–": 0x96,
  "—": 0x97,
  "˜": 0x98,
  "™": 0x99,
  š: 0x9a,
  "›": 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};

const CONTINUATION_CLASS = "\\u0080-\\u00BF€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
// A lead byte (2-, 3- or 4-byte sequence) followed by continuation bytes, as cp1252 text.
const MOJIBAKE_PATTERN = new RegExp(
  `[\\u00C2-\\u00DF][${CONTINUATION_CLASS}]|[\\u00E0-\\u00EF][${CONTINUATION_CLASS}]{2}|[\\u00F0-\\u00F4][${CONTINUATION_CLASS}]{3}`,
  "gu",
);

function toCp1252Byte(char: string): number | undefined {
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff && !(code >= 0x80 && code <= 0x9f)) return code;
  return CP1252_HIGH[char];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decode one suspicious run back to the character it encoded, or undefined if it is not mojibake. */
function repairRun(run: string): string | undefined {
  const bytes: number[] = [];
  for (const char of run) {
    const byte = toCp1252Byte(char);
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
