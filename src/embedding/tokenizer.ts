import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { EmbeddingError } from "./errors.js";

/** Word-piece ids of one text, already cut to the model's limit. */
export interface EncodedText {
  readonly ids: number[];
  /** True when the text had more word pieces than the model reads. */
  readonly truncated: boolean;
}

/**
 * The model's own tokenizer (tokenizer.json, run by @huggingface/tokenizers, pure JS), with
 * sentence-transformers' truncation: keep [CLS], the first maxTokens-2 pieces, then [SEP].
 * tokenizer.json's own truncation/padding blocks are ignored (they say 128; ST uses 256).
 */
export class WordPieceTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly sepId: number;

  constructor(
    tokenizerJsonPath: string,
    tokenizerConfigPath: string | undefined,
    readonly maxTokens: number,
  ) {
    let json: object;
    let config: object = {};
    try {
      json = JSON.parse(readFileSync(tokenizerJsonPath, "utf8")) as object;
      if (tokenizerConfigPath) {
        try {
          config = JSON.parse(readFileSync(tokenizerConfigPath, "utf8")) as object;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
      }
      this.tokenizer = new Tokenizer(json, config);
    } catch (error) {
      throw new EmbeddingError("load tokenizer", "model_invalid", `cannot load ${tokenizerJsonPath}`, {
        cause: error,
      });
    }
    const sep = this.tokenizer.token_to_id("[SEP]");
    if (sep === undefined) {
      throw new EmbeddingError("load tokenizer", "model_invalid", `${tokenizerJsonPath} has no [SEP] token`);
    }
    this.sepId = sep;
  }

  encode(text: string): EncodedText {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.maxTokens) return { ids, truncated: false };
    const cut = ids.slice(0, this.maxTokens - 1);
    cut.push(this.sepId);
    return { ids: cut, truncated: true };
  }

  /** Word pieces a text has before truncation (including [CLS] and [SEP]). */
  countTokens(text: string): number {
    return this.tokenizer.encode(text).ids.length;
  }
}
