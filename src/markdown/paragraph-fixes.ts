/**
 * Two places where reading a paragraph line by line, or markdown-it itself, would differ from
 * CommonMark; both were found by the cmark-gfm differential check (scripts/markdown/).
 */
import type MarkdownIt from "markdown-it";
import type StateBlock from "markdown-it/lib/rules_block/state_block.mjs";
import type StateInline from "markdown-it/lib/rules_inline/state_inline.mjs";

type InlineRule = (state: StateInline, silent: boolean) => boolean;
type BlockRule = (state: StateBlock, startLine: number, endLine: number, silent: boolean) => boolean;

const RAW_SPANS = "planvecRawSpans";

/**
 * Record the source ranges that code spans and raw inline HTML consume, when the parse env
 * asks for them: a line starting inside `a⏎✅ b` is code, not a task line.
 */
export function recordRawInlineSpans(md: MarkdownIt): void {
  for (const name of ["backticks", "html_inline"]) {
    const rule = ruleFunction<InlineRule>(md.inline.ruler, name);
    if (!rule) continue;
    md.inline.ruler.at(name, (state: StateInline, silent: boolean) => {
      const start = state.pos;
      const matched = rule(state, silent);
      const spans = (state.env as Record<string, unknown>)[RAW_SPANS];
      if (matched && !silent && Array.isArray(spans)) spans.push([start, state.pos]);
      return matched;
    });
  }
}

/** Indices of the lines of `content` (after the first) that begin inside a code span or inline HTML. */
export function linesStartingInsideRawSpans(
  md: MarkdownIt,
  content: string,
  env: Record<string, unknown>,
): Set<number> {
  const hidden = new Set<number>();
  if (!content.includes("\n") || !/[`<]/.test(content)) return hidden;
  const spans: [number, number][] = [];
  md.parseInline(content, { ...env, [RAW_SPANS]: spans });
  if (spans.length === 0) return hidden;
  let offset = 0;
  content.split("\n").forEach((line, k) => {
    if (k > 0 && spans.some(([start, end]) => start < offset && offset < end)) hidden.add(k);
    offset += line.length + 1;
  });
  return hidden;
}

/**
 * CommonMark reads link reference definitions off the start of a paragraph: the lines after
 * them still belong to that paragraph unless they could interrupt one. markdown-it ends the
 * block after the definitions instead, so `[a]: /u⏎2) x` became a list. After a definition,
 * when the next line can neither interrupt a paragraph nor be another definition, parse it
 * as the paragraph it is.
 */
export function continueParagraphAfterReference(md: MarkdownIt): void {
  const reference = ruleFunction<BlockRule>(md.block.ruler, "reference");
  const paragraph = ruleFunction<BlockRule>(md.block.ruler, "paragraph");
  if (!reference || !paragraph) return;
  const terminators = md.block.ruler.getRules("paragraph") as unknown as BlockRule[];
  md.block.ruler.at(
    "reference",
    (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
      if (!reference(state, startLine, endLine, silent)) return false;
      if (silent) return true;
      const next = state.line;
      if (next >= endLine || state.isEmpty(next) || (state.sCount[next] ?? 0) < state.blkIndent) return true;
      if (reference(state, next, endLine, true)) return true;
      // Ask the rules the way markdown-it's paragraph rule does: as a paragraph's next line.
      const saved = { line: state.line, parentType: state.parentType };
      state.line = next;
      state.parentType = "paragraph";
      const interrupts = terminators.some((rule) => rule(state, next, endLine, true));
      state.line = saved.line;
      state.parentType = saved.parentType;
      if (!interrupts) paragraph(state, next, endLine, false);
      return true;
    },
    { alt: ["paragraph", "reference"] },
  );
}

function ruleFunction<T>(ruler: unknown, name: string): T | undefined {
  const rules = (ruler as { __rules__: { name: string; fn: T }[] }).__rules__;
  return rules.find((rule) => rule.name === name)?.fn;
}
