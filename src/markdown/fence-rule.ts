/**
 * The fenced-code block rule, adapted from markdown-it's `rules_block/fence.mjs`
 * (MIT, (c) 2014 Vitaly Puzrin, Alex Kocharin). Strict mode behaves exactly like the original
 * (CommonMark: a closing fence carries no info string). Both modes record, on the token's
 * `meta`, how the block ended and which inner lines look like a fence with an info string
 * that was probably meant to close it. Lenient mode lets such a line close the block.
 */
import type MarkdownIt from "markdown-it";
import type StateBlock from "markdown-it/lib/rules_block/state_block.mjs";

export interface FenceMeta {
  /** 0-based line of the closing fence, or null when the block ran to the end of its container. */
  closerLine: number | null;
  /** 0-based lines inside the block that look like a fence carrying an info string. */
  suspiciousCloserLines: number[];
}

const BACKTICK = 0x60;
const TILDE = 0x7e;

export function makeFenceRule(lenient: boolean) {
  return function fence(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
    let pos = (state.bMarks[startLine] ?? 0) + (state.tShift[startLine] ?? 0);
    let max = state.eMarks[startLine] ?? 0;

    // Indented four or more spaces: an indented code block, not a fence.
    if ((state.sCount[startLine] ?? 0) - state.blkIndent >= 4) return false;
    if (pos + 3 > max) return false;

    const marker = state.src.charCodeAt(pos);
    if (marker !== TILDE && marker !== BACKTICK) return false;

    let mem = pos;
    pos = state.skipChars(pos, marker);
    const openerLength = pos - mem;
    if (openerLength < 3) return false;

    const markup = state.src.slice(mem, pos);
    const params = state.src.slice(pos, max);
    if (marker === BACKTICK && params.includes(String.fromCharCode(marker))) return false;
    if (silent) return true;

    let nextLine = startLine;
    let haveEndMarker = false;
    const suspicious: number[] = [];

    for (;;) {
      nextLine++;
      if (nextLine >= endLine) break;

      pos = mem = (state.bMarks[nextLine] ?? 0) + (state.tShift[nextLine] ?? 0);
      max = state.eMarks[nextLine] ?? 0;

      // A non-empty line indented less than the container ends it (and the fence with it).
      if (pos < max && (state.sCount[nextLine] ?? 0) < state.blkIndent) break;
      if (state.src.charCodeAt(pos) !== marker) continue;
      if ((state.sCount[nextLine] ?? 0) - state.blkIndent >= 4) continue;

      pos = state.skipChars(pos, marker);
      if (pos - mem < openerLength) continue;
      pos = state.skipSpaces(pos);
      if (pos < max) {
        // A fence line with an info string: CommonMark keeps it as content.
        suspicious.push(nextLine);
        if (!lenient) continue;
      }
      haveEndMarker = true;
      break;
    }

    const indent = state.sCount[startLine] ?? 0;
    state.line = nextLine + (haveEndMarker ? 1 : 0);

    const token = state.push("fence", "code", 0);
    token.info = params;
    token.content = state.getLines(startLine + 1, nextLine, indent, true);
    token.markup = markup;
    token.map = [startLine, state.line];
    const meta: FenceMeta = {
      closerLine: haveEndMarker ? nextLine : null,
      suspiciousCloserLines: suspicious,
    };
    token.meta = meta;
    return true;
  };
}

/** Replace markdown-it's fence rule by ours (same name and position in the chain). */
export function useFenceRule(md: MarkdownIt, lenient: boolean): void {
  md.block.ruler.at("fence", makeFenceRule(lenient), {
    alt: ["paragraph", "reference", "blockquote", "list"],
  });
}
