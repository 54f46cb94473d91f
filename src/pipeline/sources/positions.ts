/**
 * Source positions for parsers that give none. `JSON.parse` and smol-toml return plain
 * values, so the line of an entry is found by scanning the source text once.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";

/** Escape one JSON Pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Join segments into a JSON Pointer ("" for the root). */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${pointerSegment(s)}`).join("");
}

interface Frame {
  kind: "object" | "array";
  key: string;
  index: number;
  expectKey: boolean;
  indexSeen: number;
}

/**
 * Line of every member and array element of a JSON text, by JSON Pointer. Meant for text that
 * `JSON.parse` accepted; on anything else it returns what it found so far without throwing.
 */
export function jsonPointerLines(text: string): Map<string, number> {
  const lines = new Map<string, number>([["", 1]]);
  const stack: Frame[] = [];
  let line = 1;
  const pointerHere = () => toPointer(stack.map((f) => (f.kind === "object" ? f.key : f.index)));
  const noteArrayElement = () => {
    const top = stack.at(-1);
    if (top?.kind === "array" && top.indexSeen < top.index + 1) {
      top.indexSeen = top.index + 1;
      const pointer = pointerHere();
      if (!lines.has(pointer)) lines.set(pointer, line);
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    const top = stack.at(-1);
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) {
        if (text.charCodeAt(j) === 92) j++;
        j++;
      }
      if (top?.kind === "object" && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          key = text.slice(i + 1, j);
        }
        top.key = key;
        top.expectKey = false;
        const pointer = pointerHere();
        if (!lines.has(pointer)) lines.set(pointer, line);
      } else {
        noteArrayElement();
      }
      i = j;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      noteArrayElement();
      stack.push({
        kind: c === 123 ? "object" : "array",
        key: "",
        index: 0,
        expectKey: c === 123,
        indexSeen: 0,
      });
      continue;
    }
    if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      continue;
    }
    if (c === 44 /* , */) {
      if (top?.kind === "object") top.expectKey = true;
      else if (top) top.index++;
      continue;
    }
    if (c === 58 /* : */) continue;
    noteArrayElement();
  }
  return lines;
}

/** Result of reading a YAML (or JSON) document with positions. */
export interface YamlRead {
  value: unknown;
  /** Line by JSON Pointer for every map key and sequence item. */
  lines: Map<string, number>;
  errors: { line: number; message: string }[];
}

/**
 * Parse YAML keeping the line of every key and item. A stream of several documents (`---`)
 * reads as a list of them, pointers starting with the document index. Aliases are bounded
 * (`maxAliasCount`) so a "billion laughs" file cannot exhaust memory. Never throws.
 */
export function readYaml(text: string): YamlRead {
  const counter = new LineCounter();
  const lines = new Map<string, number>([["", 1]]);
  try {
    const parsed = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false, prettyErrors: false });
    const docs = Array.isArray(parsed) ? parsed : [];
    const errors = docs.flatMap((doc) =>
      doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line,
        message: squashMessage(e.message),
      })),
    );
    if (errors.length > 0) return { value: undefined, lines, errors };
    const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : counter.linePos(offset).line);
    const visit = (node: unknown, pointer: string, depth: number) => {
      if (depth > 64) return;
      if (isMap(node)) {
        for (const pair of node.items) {
          const keyNode = pair.key as Node | null;
          const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode ?? "");
          const child = `${pointer}/${pointerSegment(key)}`;
          if (!lines.has(child)) lines.set(child, lineOf(keyNode?.range?.[0]));
          visit(pair.value, child, depth + 1);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          const child = `${pointer}/${index}`;
          lines.set(child, lineOf((item as Node | null)?.range?.[0]));
          visit(item, child, depth + 1);
        });
      }
    };
    if (docs.length <= 1) {
      const doc = docs[0];
      if (!doc) return { value: null, lines, errors: [] };
      visit(doc.contents, "", 0);
      return { value: doc.toJS({ maxAliasCount: 1000 }), lines, errors: [] };
    }
    const values = docs.map((doc, index) => {
      lines.set(`/${index}`, lineOf((doc.contents as Node | null)?.range?.[0]));
      visit(doc.contents, `/${index}`, 1);
      return doc.toJS({ maxAliasCount: 1000 });
    });
    return { value: values, lines, errors: [] };
  } catch (error) {
    return {
      value: undefined,
      lines,
      errors: [{ line: 1, message: error instanceof Error ? error.message : String(error) }],
    };
  }
}

function squashMessage(message: string): string {
  return (message.split("\n")[0] ?? message).trim();
}

/**
 * Line of the JSON syntax error in a `JSON.parse` message: Node 20 says "at position N",
 * newer engines say "(line L column C)".
 */
export function jsonErrorLine(text: string, message: string): number {
  const lineColumn = /line (\d+) column \d+/.exec(message);
  if (lineColumn) return Number(lineColumn[1]);
  const position = /position (\d+)/.exec(message);
  if (position) {
    const offset = Number(position[1]);
    let line = 1;
    for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    return line;
  }
  return 1;
}

/** Nearest known line for a pointer: itself, else its closest ancestor, else 1. */
export function lineOfPointer(lines: Map<string, number>, pointer: string): number {
  let p = pointer;
  for (;;) {
    const found = lines.get(p);
    if (found !== undefined) return found;
    if (p === "") return 1;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/** Split a TOML dotted key (`a."b.c".d`) into its parts, quotes removed. */
export function splitTomlKey(raw: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (const ch of raw) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ".") {
      parts.push(current.trim());
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current.trim());
  return parts;
}

const TOML_HEADER = /^\s*\[\[?\s*([^\][]+?)\s*\]\]?\s*(?:#.*)?$/;
const TOML_KEY =
  /^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=/;

/**
 * Finds lines in TOML text: smol-toml gives values without positions, so tables and keys are
 * located by a line scan (table headers and `key =` lines; multi-line strings are skipped).
 */
export class TomlLocator {
  private readonly tables: { path: string; line: number }[] = [];
  private readonly keys: { table: string; key: string[]; line: number }[] = [];
  private readonly lines: string[];

  constructor(text: string) {
    this.lines = text.split("\n");
    let table = "";
    let inMultiline: string | null = null;
    this.lines.forEach((raw, index) => {
      const line = index + 1;
      if (inMultiline) {
        if (raw.includes(inMultiline)) inMultiline = null;
        return;
      }
      const header = TOML_HEADER.exec(raw);
      if (header?.[1]) {
        table = splitTomlKey(header[1]).join("\u0000");
        this.tables.push({ path: table, line });
        return;
      }
      const key = TOML_KEY.exec(raw);
      if (key?.[1]) this.keys.push({ table, key: splitTomlKey(key[1]), line });
      for (const delimiter of ['"""', "'''"]) {
        const first = raw.indexOf(delimiter);
        if (first !== -1 && raw.indexOf(delimiter, first + 3) === -1) inMultiline = delimiter;
      }
    });
  }

  /** Line of the `[a.b]` header, or undefined. */
  tableLine(path: readonly string[]): number | undefined {
    const joined = path.join("\u0000");
    return this.tables.find((t) => t.path === joined)?.line;
  }

  /**
   * Line where `key` is set under table `path`: a `key =` line in that table, a dotted key
   * from a parent table, or a `[path.key]` sub-table header. Falls back to the table header.
   */
  keyLine(path: readonly string[], key: string): number | undefined {
    for (let split = path.length; split >= 0; split--) {
      const table = path.slice(0, split).join("\u0000");
      const rest = [...path.slice(split), key];
      const hit = this.keys.find(
        (k) => k.table === table && k.key.length >= rest.length && rest.every((part, i) => k.key[i] === part),
      );
      if (hit) return hit.line;
    }
    return this.tableLine([...path, key]) ?? this.tableLine(path);
  }

  /** First line at or after `fromLine` containing `needle` (for items of a multi-line array). */
  lineContaining(needle: string, fromLine: number): number | undefined {
    for (let i = Math.max(fromLine, 1) - 1; i < this.lines.length; i++) {
      if (this.lines[i]?.includes(needle)) return i + 1;
    }
    return undefined;
  }
}
