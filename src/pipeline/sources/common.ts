/**
 * Helpers shared by the non-plan extractors: decoding bytes, line numbers, warnings, keys
 * that stay unique within a file, and texts sized for the embedding model's window.
 */
import { decodePlanBytes } from "../../markdown/decode.js";
import type { ExtractResult, SourceExtractor, SourceKind, SourceWarning } from "../records.js";

/**
 * Most texts stay under this many characters. The model reads at most 256 word pieces; on
 * our French/English technical text one word piece is ~4 characters, so ~1,000 characters
 * fit with room for the context prefix.
 */
export const MAX_TEXT_CHARS = 1000;

/** Decoded text of a source file, or a warning explaining why there is none. */
export interface DecodedSource {
  text: string;
  warnings: SourceWarning[];
}

/**
 * Decode like an editor would (BOM, UTF-8, Windows-1252 fallback) with LF line endings.
 * Binary content gives no text and one warning; an encoding fallback is reported but the
 * text is still used.
 */
export function decodeSource(file: string, bytes: Uint8Array): DecodedSource {
  const decoded = decodePlanBytes(bytes);
  const warnings = decoded.warnings
    .filter((w) => w.code === "binary-file" || w.code === "invalid-utf8")
    .map((w) =>
      warning(
        file,
        w.line,
        w.code,
        `${file}: ${w.message.replace("not a Markdown file", "not a text file")}`,
      ),
    );
  // CRLF → LF keeps line numbers and spares every reader its own `\r` handling.
  return { text: decoded.encoding === "binary" ? "" : decoded.text.replace(/\r\n/g, "\n"), warnings };
}

/** Build a warning; `line` is clamped to ≥ 1 so every warning points somewhere. */
export function warning(file: string, line: number, code: string, message: string): SourceWarning {
  return { file, line: Number.isFinite(line) && line >= 1 ? Math.floor(line) : 1, code, message };
}

/** Maps character offsets of a text to 1-based line numbers. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  /** 1-based line containing `offset` (offsets past the end map to the last line). */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    const target = Math.max(0, offset);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Offset of the first character of a 1-based line. */
  offsetOf(line: number): number {
    return this.starts[Math.min(Math.max(line, 1), this.starts.length) - 1] ?? 0;
  }

  get lineCount(): number {
    return this.starts.length;
  }
}

/**
 * Hands out keys that are unique within one file: the first use of a key is kept as is, the
 * next ones get `~2`, `~3`… in source order, so keys stay stable while the file is unchanged.
 */
export class KeyAllocator {
  private readonly seen = new Map<string, number>();

  take(key: string): string {
    const count = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, count);
    if (count === 1) return key;
    const candidate = `${key}~${count}`;
    // A literal "x~2" in the source could collide with a generated one: keep counting.
    return this.seen.has(candidate) ? this.take(key) : this.take(candidate);
  }
}

/** Collapse runs of whitespace to single spaces. */
export function squash(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Cut `text` to at most `max` characters on a word boundary, with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, Math.max(0, max - 1));
  const space = cut.lastIndexOf(" ");
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/**
 * Pack `blocks` into texts of at most `max` characters, each starting with `header`. A block
 * longer than the room left is cut into word-bounded pieces. Returns the index of the first
 * block of each part so callers can give each part its line.
 */
export function packBlocks(
  header: string,
  blocks: readonly string[],
  max = MAX_TEXT_CHARS,
): { text: string; firstBlock: number }[] {
  const prefix = header ? `${header}\n` : "";
  const room = Math.max(200, max - prefix.length);
  const parts: { text: string; firstBlock: number }[] = [];
  let current: string[] = [];
  let currentLength = 0;
  let firstBlock = 0;
  const flush = () => {
    if (current.length > 0) parts.push({ text: prefix + current.join("\n"), firstBlock });
    current = [];
    currentLength = 0;
  };
  blocks.forEach((block, index) => {
    for (const piece of splitLong(block, room)) {
      const added = piece.length + (current.length > 0 ? 1 : 0);
      if (currentLength + added > room) flush();
      if (current.length === 0) firstBlock = index;
      current.push(piece);
      currentLength += piece.length + (current.length > 1 ? 1 : 0);
    }
  });
  flush();
  if (parts.length === 0) parts.push({ text: header, firstBlock: 0 });
  return parts;
}

function splitLong(block: string, room: number): string[] {
  if (block.length <= room) return [block];
  const pieces: string[] = [];
  let rest = block;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(" ", room);
    if (cut < room * 0.5) cut = room;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/** Key of part `n` (1-based) of a record split for the window: part 1 keeps the base key. */
export function partKey(base: string, part: number): string {
  return part <= 1 ? base : `${base}#part${part}`;
}

/**
 * Wrap an extractor so that an unexpected exception becomes a warning instead of escaping:
 * one bad file must never stop an index run. Tests check this fallback is never reached.
 */
export function guardExtractor(
  kind: SourceKind,
  defaultGlobs: string[],
  extract: (file: string, bytes: Uint8Array) => ExtractResult,
): SourceExtractor {
  return {
    kind,
    defaultGlobs,
    extract(file, bytes) {
      try {
        const result = extract(file, bytes);
        // Last resort for pathological single fields (a 5,000-character package name): content
        // is already split into parts, so this only trims what the model would cut anyway.
        for (const record of result.records) {
          if (record.text.length > MAX_TEXT_CHARS) record.text = truncate(record.text, MAX_TEXT_CHARS);
        }
        return result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return {
          records: [],
          warnings: [warning(file, 1, "extractor-failure", `${kind} extractor failed: ${message}`)],
        };
      }
    },
  };
}

/** Lower-cased file extension without the dot ("" when none). */
export function extensionOf(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

/** Last path segment. */
export function baseName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1);
}

/** A short, readable rendering of any JSON-like value for texts and payloads. */
export function describeValue(value: unknown, max = 120): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "string") return truncate(squash(value), max);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "invalid date" : value.toISOString();
  try {
    return truncate(
      squash(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v)) ?? ""),
      max,
    );
  } catch {
    return "[unprintable]";
  }
}

/** True for plain objects (not arrays, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
