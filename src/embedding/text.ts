import { EmbeddingError } from "./errors.js";

/**
 * The form of a text that is embedded and hashed for the cache: Unicode NFC, trimmed, runs of
 * whitespace collapsed to one space. These changes never change the vector (the BERT
 * tokenizer splits on any whitespace and decomposes accents itself), so two spellings that
 * differ only there share one cache entry.
 */
export function normaliseText(text: string): string {
  return text.normalize("NFC").trim().replace(/\s+/gu, " ");
}

/** Reject what cannot be embedded, naming the offending position. */
export function assertEmbeddable(texts: readonly unknown[]): asserts texts is string[] {
  if (!Array.isArray(texts)) {
    throw new EmbeddingError("embed", "invalid_input", "embed() expects an array of strings");
  }
  texts.forEach((text, index) => {
    if (typeof text !== "string") {
      throw new EmbeddingError("embed", "invalid_input", `text #${index} is a ${typeof text}, not a string`);
    }
    if (text.trim() === "") {
      throw new EmbeddingError(
        "embed",
        "empty_text",
        `text #${index} is empty or only whitespace: there is nothing to embed (drop it before calling embed)`,
      );
    }
  });
}
