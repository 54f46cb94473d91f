import type MarkdownIt from "markdown-it";
import type Token from "markdown-it/lib/token.mjs";
import type { FenceMeta } from "./fence-rule.js";

/**
 * Files larger than this are parsed in pieces. markdown-it's token array costs about 75 bytes
 * of heap per source byte on task-dense plans (10 MB → 760 MB RSS measured), so a 50 MB plan
 * parsed whole would need several GB.
 */
export const DEFAULT_CHUNK_CHARS = 1 << 20;

export interface BlockChunk {
  tokens: Token[];
  /** 0-based source line of the chunk's first line. */
  firstLine: number;
}

const BLANK = /^[ \t]*$/;
const STARTS_AT_COLUMN_ZERO = /^[^ \t]/;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:/m;

/**
 * Block-parse `text`, in one piece when small, else in chunks cut only where CommonMark
 * guarantees a top-level boundary: a non-indented line after a blank line (it can neither
 * continue a paragraph nor stay inside a list item, block quote, table or indented code).
 * A cut that would land inside a top-level fenced code or HTML block (which do run across
 * blank lines) is moved further down. List items, their depth and parents are unchanged by
 * such a cut; only the tight/loose flag of a list split in two could differ, which we do not use.
 * Link reference definitions apply to the whole document, so when the file has any, a first
 * pass collects them all into `env` before the real pass.
 */
export function* parseBlocks(
  md: MarkdownIt,
  text: string,
  env: Record<string, unknown>,
  chunkChars = DEFAULT_CHUNK_CHARS,
): Generator<BlockChunk> {
  if (text.length <= chunkChars) {
    yield { tokens: md.parse(text, env), firstLine: 0 };
    return;
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (!REFERENCE_DEFINITION.test(text)) {
    yield* chunks(md, lines, env, chunkChars);
    return;
  }
  // First pass only to collect every reference definition into env; the second pass sees them all.
  const ranges = [...chunks(md, lines, env, chunkChars)].map((chunk) => chunk.firstLine);
  ranges.push(lines.length);
  for (let i = 0; i + 1 < ranges.length; i++) {
    const start = ranges[i] ?? 0;
    yield { tokens: md.parse(lines.slice(start, ranges[i + 1]).join("\n"), env), firstLine: start };
  }
}

function* chunks(
  md: MarkdownIt,
  lines: string[],
  env: Record<string, unknown>,
  chunkChars: number,
): Generator<BlockChunk> {
  let start = 0;
  while (start < lines.length) {
    let budget = chunkChars;
    let end = boundaryAfter(lines, start, budget);
    let tokens = md.parse(lines.slice(start, end).join("\n"), env);
    // Grow the chunk (doubling, so the total work stays linear) while it ends inside an open block.
    while (end < lines.length && endsInsideOpenBlock(tokens)) {
      budget *= 2;
      end = boundaryAfter(lines, start, budget);
      tokens = md.parse(lines.slice(start, end).join("\n"), env);
    }
    yield { tokens, firstLine: start };
    start = end;
  }
}

/** The first safe cut line after `budget` characters from `start` (or the end of the file). */
function boundaryAfter(lines: string[], start: number, budget: number): number {
  let size = 0;
  let i = start;
  while (i < lines.length && size < budget) size += (lines[i++] ?? "").length + 1;
  for (; i < lines.length; i++) {
    if (BLANK.test(lines[i - 1] ?? "") && STARTS_AT_COLUMN_ZERO.test(lines[i] ?? "")) return i;
  }
  return lines.length;
}

function endsInsideOpenBlock(tokens: Token[]): boolean {
  const last = tokens.at(-1);
  if (last?.level !== 0) return false;
  if (last.type === "fence") return (last.meta as FenceMeta | null)?.closerLine == null;
  if (last.type === "html_block") return !htmlBlockClosed(last.content);
  return false;
}

/**
 * HTML blocks of CommonMark types 1-5 (`<script>`, `<!--`, `<?`, `<!X`, `<![CDATA[`) run until
 * their end marker, across blank lines; types 6 and 7 end at a blank line, which every cut has
 * just before it.
 */
const HTML_BLOCK_ENDS: [RegExp, RegExp][] = [
  [/^<(?:script|pre|style|textarea)(?:\s|>|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^<!--/, /-->/],
  [/^<\?/, /\?>/],
  [/^<![A-Za-z]/, />/],
  [/^<!\[CDATA\[/, /\]\]>/],
];

function htmlBlockClosed(content: string): boolean {
  const text = content.trimStart();
  for (const [start, end] of HTML_BLOCK_ENDS) {
    const opened = start.exec(text);
    if (opened) return end.test(text.slice(opened[0].length));
  }
  return true;
}
