import MarkdownIt from "markdown-it";
import { useFenceRule } from "./fence-rule.js";
import { continueParagraphAfterReference, recordRawInlineSpans } from "./paragraph-fixes.js";
import type { FenceMode } from "./types.js";

/**
 * Containers nested deeper than this are not parsed further (markdown-it stops descending and
 * we warn). Measured: 10,000 nested block quotes parse without stack overflow at this limit.
 */
export const MAX_NESTING = 200;

const engines = new Map<FenceMode, MarkdownIt>();
let inlineParser: MarkdownIt | undefined;

/**
 * A CommonMark parser with the GFM block extensions that change what is a paragraph:
 * tables and strikethrough (task list items are recognised by the plan parser itself,
 * because our markers include `[✅]` and `[✔]`). Raw HTML blocks are parsed as HTML,
 * as GitHub does before sanitising.
 */
export function markdownEngine(fences: FenceMode): MarkdownIt {
  let md = engines.get(fences);
  if (!md) {
    md = new MarkdownIt("commonmark", { html: true, linkify: false, typographer: false });
    md.enable(["table", "strikethrough"]);
    // Not in the published Options type, but a documented markdown-it option.
    (md.options as { maxNesting?: number }).maxNesting = MAX_NESTING;
    useFenceRule(md, fences === "lenient");
    continueParagraphAfterReference(md);
    // Block structure only: inline parsing of every paragraph would allocate millions of tokens
    // on large files, and we only need the inline text of headings and tasks, parsed on demand.
    md.core.ruler.disable(["inline", "text_join"]);
    engines.set(fences, md);
  }
  return md;
}

/** The same dialect with inline parsing on, for the text of headings and tasks. */
export function inlineEngine(): MarkdownIt {
  if (!inlineParser) {
    inlineParser = new MarkdownIt("commonmark", { html: true, linkify: false, typographer: false });
    inlineParser.enable(["strikethrough"]);
    (inlineParser.options as { maxNesting?: number }).maxNesting = MAX_NESTING;
    recordRawInlineSpans(inlineParser);
  }
  return inlineParser;
}
