/**
 * One Markdown source line as the words a reader sees, for text that is embedded: markup
 * (heading hashes, list bullets and checkboxes, quote markers, emphasis, code backticks,
 * table pipes, link targets, HTML tags) spends word pieces of the model's 256-piece window
 * without adding meaning. Section chunks of the dev corpus lose 14 % of their word pieces.
 *
 * Line by line on purpose: a chunk is a run of source lines cut anywhere, so there is no
 * block context to render. Code inside fenced blocks keeps its text (only the fence lines
 * go); a `#` comment or `**kwargs` there loses its symbol, which a sentence model ignores
 * anyway. Only removes or replaces with spaces: no word that is not in the line comes out.
 */

/** A fence line (``` or ~~~ with an optional info string), a table delimiter row, a thematic break. */
const MARKUP_ONLY_LINE =
  /^\s*(?:(?:`{3,}|~{3,})\s*[\w+#.-]*\s*|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?|(?:([-*_])\s*)(?:\1\s*){2,})$/;
/** Block markers at the start of a line: heading hashes, quote markers, bullets, ordered-list numbers, checkboxes. */
const LEADING_MARKER = /^\s*(?:#{1,6}(?:\s+|$)|>\s?|[-*+]\s+|\d{1,9}[.)]\s+|\[[ xX]\]\s+)/;
/** HTML tags by name: `<fichier>` or `List<T>` in a plan are words, not markup. */
const HTML_TAG =
  /<\/?(?:a|b|i|u|s|p|br|hr|em|strong|code|pre|kbd|sub|sup|del|ins|mark|small|span|div|img|details|summary|table|thead|tbody|tr|td|th|ul|ol|li|dl|dt|dd|blockquote|center|font|h[1-6])(?:\s[^<>]*)?\/?>/gi;
const IMAGE_OR_LINK = /!?\[([^\]]*)\]\([^)]*\)/g;
const AUTOLINK = /<((?:https?|mailto):[^<>\s]+)>/g;
const BACKTICKS = /`+/g;
const EMPHASIS_RUNS = /\*{2,}|_{2,}|~{2,}/g;
const PIPES = /\|/g;

/** The words of one Markdown source line, markup removed, spaces collapsed; "" for a markup-only line. */
export function markdownLineToPlain(line: string): string {
  if (MARKUP_ONLY_LINE.test(line)) return "";
  let text = line;
  // "> - [ ] task": markers nest, so strip until none is left.
  for (let previous = ""; previous !== text; ) {
    previous = text;
    text = text.replace(LEADING_MARKER, "");
  }
  text = text
    .replace(AUTOLINK, "$1")
    .replace(HTML_TAG, " ")
    .replace(IMAGE_OR_LINK, "$1")
    .replace(BACKTICKS, "");
  // After every other deletion, and until none is left: removing "**" from "_**_" makes "__".
  for (let previous = ""; previous !== text; ) {
    previous = text;
    text = text.replace(EMPHASIS_RUNS, "");
  }
  return text.replace(PIPES, " ").replace(/\s+/g, " ").trim();
}
