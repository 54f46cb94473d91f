/**
 * Word overlap between a query and its target title, to check that the relevance set
 * paraphrases instead of copying words (a keyword index would otherwise win trivially).
 */

/** Function words of French and English that carry no topic: ignored by the overlap. */
export const STOPWORDS = new Set(
  (
    "a an and are as at be by for from in into is it its of on or the to with " +
    "au aux avec ce ces d dans de des du en et l la le les leur leurs par pour qu que qui sa sans se ses son sur un une vers"
  ).split(" "),
);

/** Lower-cased, accent-folded words (letters and digits), stopwords removed. */
export function contentTokens(text: string): Set<string> {
  const folded = text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  return new Set(folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word && !STOPWORDS.has(word)));
}

/** Jaccard similarity of the two texts' content tokens (0 when both are empty). */
export function tokenJaccard(a: string, b: string): number {
  const ta = contentTokens(a);
  const tb = contentTokens(b);
  let shared = 0;
  for (const token of ta) if (tb.has(token)) shared++;
  const union = ta.size + tb.size - shared;
  return union === 0 ? 0 : shared / union;
}
