import type Token from "markdown-it/lib/token.mjs";

/**
 * The plain text a reader sees for inline tokens: emphasis, links and HTML tags dropped,
 * code spans and image alt text kept, line breaks as spaces, whitespace collapsed.
 */
export function inlineTokensToPlainText(tokens: Token[]): string {
  let out = "";
  for (const token of tokens) {
    switch (token.type) {
      case "text":
      case "code_inline":
        out += token.content;
        break;
      case "softbreak":
      case "hardbreak":
        out += " ";
        break;
      case "image":
        out += inlineTokensToPlainText(token.children ?? []);
        break;
      default:
        // html_inline, *_open/_close markup: nothing a reader sees as text.
        break;
    }
  }
  return out.replace(/\s+/g, " ").trim();
}
