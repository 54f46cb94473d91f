/**
 * Streaming splitter for one large JSON document holding an array of records: a top-level
 * array, or an object with the array under `points` (or `result.points`, a saved Qdrant
 * scroll response). It finds each element's byte range with a small string/bracket-aware
 * scanner and hands the element text to `JSON.parse`, so memory is one chunk plus one element
 * and every element is still validated by V8's own parser.
 *
 * Why hand-written: measured on a 50 MB legacy file of 1536-d vectors (bench/migrate-json.bench.ts),
 * stream-json 1.9 (parser + StreamArray) reads about 4-5 MB/s because it emits one token
 * per number; this splitter + JSON.parse reads several hundred MB/s. See docs/benchmarks.md.
 */
import { SourceFormatError } from "../errors.js";

/** One element of the target array, as text ready for `JSON.parse`. */
export interface JsonElement {
  /** 0-based index in the array. */
  index: number;
  /** Byte offset of the element's first byte in the (decompressed) document. */
  offset: number;
  text: string;
}

export interface JsonArrayOptions {
  /** Name used in error messages (file path). */
  source: string;
  /** Refuse a single element larger than this many bytes (default 256 MiB) rather than exhaust memory. */
  maxElementBytes?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** 1 for the bytes that change the scanner's state inside a record: quote and brackets. */
const STRUCTURAL = new Uint8Array(256);
for (const c of [QUOTE, LBRACE, RBRACE, LBRACKET, RBRACKET]) STRUCTURAL[c] = 1;

const STRUCTURAL_BYTES = [QUOTE, LBRACE, RBRACE, LBRACKET, RBRACKET];

/** Next known position of each structural byte in the current chunk (n when there is none). */
interface Cursor {
  positions: number[];
  n: number;
}
function newCursor(n: number): Cursor {
  return { positions: STRUCTURAL_BYTES.map(() => -1), n };
}

/**
 * Position of the next structural byte at or after `from` (n when none): each byte's next
 * occurrence comes from `Buffer.indexOf` (native memchr) and is reused until passed, so the
 * digits of a vector are skipped without a JavaScript loop over them (figures in
 * docs/benchmarks.md, "Migration").
 */
function nextStructural(buf: Buffer, from: number, cursor: Cursor): number {
  let best = cursor.n;
  const positions = cursor.positions;
  for (let k = 0; k < 5; k++) {
    let at = positions[k] as number;
    if (at < from) {
      at = buf.indexOf(STRUCTURAL_BYTES[k] as number, from);
      if (at < 0) at = cursor.n;
      positions[k] = at;
    }
    if (at < best) best = at;
  }
  return best;
}

/** True when the bytes just before `end` (not before `start`) are an odd run of backslashes. */
function endsWithOddBackslashes(buf: Buffer, start: number, end: number): boolean {
  let count = 0;
  for (let j = end - 1; j >= start && buf[j] === BACKSLASH; j--) count++;
  return count % 2 === 1;
}

/** Key paths under which the records array may sit when the document is an object. */
const ARRAY_PATHS = [["points"], ["result", "points"]];

/**
 * Yield the elements of the records array, in order, in groups (one group per input chunk,
 * which keeps per-element async overhead negligible).
 */
export async function* jsonArrayElements(
  chunks: AsyncIterable<Buffer>,
  options: JsonArrayOptions,
): AsyncGenerator<JsonElement[]> {
  const maxElementBytes = options.maxElementBytes ?? 256 * 1024 * 1024;
  const fail = (message: string, offset: number): never => {
    throw new SourceFormatError(
      "migrate.read",
      "invalid_json",
      `${options.source}: ${message} (byte ${offset})`,
    );
  };

  // Outside the records array: a generic scanner that only remembers the key path.
  let mode: "prelude" | "array" | "done" = "prelude";
  const stack: number[] = [];
  const keys: (string | null)[] = [];
  let awaitingKey = false;
  let preludeString: number[] | null = null;
  let preludeEscape = false;

  // Inside the records array.
  let inString = false;
  let escaped = false;
  let depth = 0;
  let inElement = false;
  let primitive = false;
  let expectElement = true; // after '[' or ','
  let elementStart = 0; // offset in the current chunk, or 0 when the element began in an earlier chunk
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  let elementOffset = 0;
  let index = 0;

  let base = 0; // document offset of the current chunk
  let sawContent = false;

  for await (const chunk of chunks) {
    const buf = chunk;
    const n = buf.length;
    const out: JsonElement[] = [];
    let i = 0;
    const next = newCursor(n);

    const emit = (end: number): void => {
      let text: string;
      if (carried.length === 0) text = buf.toString("utf8", elementStart, end);
      else {
        carried.push(buf.subarray(0, end));
        text = Buffer.concat(carried).toString("utf8");
        carried = [];
        carriedBytes = 0;
      }
      out.push({ index: index++, offset: elementOffset, text });
      inElement = false;
      primitive = false;
      expectElement = false;
    };

    while (i < n) {
      if (mode === "array") {
        // Hot loop: runs over every byte of every record.
        for (; i < n; i++) {
          if (inString) {
            // Jump to the next quote natively, then check it is not escaped.
            if (escaped) {
              escaped = false;
              continue;
            }
            const quote = buf.indexOf(QUOTE, i);
            if (quote < 0) {
              escaped = endsWithOddBackslashes(buf, i, n);
              i = n;
              break;
            }
            if (endsWithOddBackslashes(buf, i, quote)) {
              i = quote;
              continue;
            }
            i = quote;
            inString = false;
            if (inElement && depth === 0) emit(i + 1); // a bare string element
            continue;
          }
          if (inElement && !primitive) {
            // Most bytes of a record are digits, signs and separators: skip them with one table load.
            if (STRUCTURAL[buf[i] as number] === 0) {
              i = nextStructural(buf, i, next);
              if (i === n) break;
            }
          }
          const c = buf[i] as number;
          if (inElement) {
            if (c === QUOTE) inString = true;
            else if (c === LBRACE || c === LBRACKET) depth++;
            else if (c === RBRACE || c === RBRACKET) {
              if (primitive) {
                emit(i);
                i--; // re-read the ']' as the array end
                continue;
              }
              depth--;
              if (depth === 0) emit(i + 1);
            } else if (primitive && (c === COMMA || isWhitespace(c))) {
              emit(i);
              i--;
            }
            continue;
          }
          if (isWhitespace(c)) continue;
          if (c === COMMA) {
            if (expectElement) fail(`unexpected ',' before element ${index}`, base + i);
            expectElement = true;
            continue;
          }
          if (c === RBRACKET) {
            if (expectElement && index > 0) fail("trailing ',' before ']'", base + i);
            mode = "done";
            i++;
            break;
          }
          if (!expectElement) fail(`expected ',' or ']' after element ${index - 1}`, base + i);
          inElement = true;
          elementStart = i;
          elementOffset = base + i;
          if (c === LBRACE || c === LBRACKET) depth = 1;
          else if (c === QUOTE) {
            depth = 0;
            inString = true;
          } else {
            depth = 0;
            primitive = true;
          }
        }
        if (inElement && mode === "array") {
          carried.push(carried.length === 0 ? buf.subarray(elementStart) : buf);
          carriedBytes += carried.length === 1 ? n - elementStart : n;
          elementStart = 0;
          if (carriedBytes > maxElementBytes) {
            fail(
              `element ${index} is larger than ${maxElementBytes} bytes; is this really a records array?`,
              elementOffset,
            );
          }
        }
        continue;
      }

      if (mode === "done") {
        // The rest of an enclosing object: only strings and brackets matter, values are skipped.
        for (; i < n; i++) {
          const c = buf[i] as number;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === BACKSLASH) escaped = true;
            else if (c === QUOTE) inString = false;
            continue;
          }
          if (isWhitespace(c)) continue;
          if (stack.length === 0) fail("unexpected data after the end of the document", base + i);
          if (c === QUOTE) inString = true;
          else if (c === LBRACE || c === LBRACKET) stack.push(c);
          else if (c === RBRACE || c === RBRACKET) stack.pop();
        }
        break;
      }

      // Prelude: find the records array.
      for (; i < n; i++) {
        const c = buf[i] as number;
        if (preludeString !== null) {
          if (preludeEscape) preludeEscape = false;
          else if (c === BACKSLASH) preludeEscape = true;
          else if (c === QUOTE) {
            if (awaitingKey && stack[stack.length - 1] === LBRACE) {
              keys[keys.length - 1] = JSON.parse(
                `"${Buffer.from(preludeString).toString("utf8")}"`,
              ) as string;
            }
            preludeString = null;
            continue;
          }
          if (preludeString.length < 1024) preludeString.push(c);
          continue;
        }
        if (isWhitespace(c)) continue;
        if (!sawContent) {
          sawContent = true;
          if (c !== LBRACKET && c !== LBRACE) fail("expected a JSON array or object", base + i);
        }
        if (c === QUOTE) {
          preludeString = [];
        } else if (c === COLON) {
          awaitingKey = false;
        } else if (c === COMMA) {
          if (stack[stack.length - 1] === LBRACE) awaitingKey = true;
        } else if (c === LBRACE) {
          stack.push(LBRACE);
          keys.push(null);
          awaitingKey = true;
        } else if (c === LBRACKET) {
          const path = keys.filter((key): key is string => key !== null);
          const atRoot = stack.length === 0;
          const objectsOnly = stack.every((kind) => kind === LBRACE);
          if (atRoot || (objectsOnly && ARRAY_PATHS.some((p) => p.join(".") === path.join(".")))) {
            mode = "array";
            expectElement = true;
            i++;
            break;
          }
          stack.push(LBRACKET);
          keys.push(null);
        } else if (c === RBRACE || c === RBRACKET) {
          stack.pop();
          keys.pop();
          if (stack.length === 0)
            fail('no records array found (expected [...] or {"points": [...]})', base + i);
          awaitingKey = false;
        }
      }
    }
    base += n;
    if (out.length > 0) yield out;
  }

  if (mode === "prelude")
    fail(sawContent ? "no records array found before end of input" : "empty input", base);
  if (mode === "array") fail(`unexpected end of input inside the records array, at element ${index}`, base);
  if (stack.length > 0) fail("unexpected end of input after the records array", base);
}
