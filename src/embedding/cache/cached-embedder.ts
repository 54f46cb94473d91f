import { createHash } from "node:crypto";
import type { Embedder } from "../embedder.js";
import { EmbeddingError } from "../errors.js";
import { assertEmbeddable, normaliseText } from "../text.js";
import type { CacheLevel, LevelStats } from "./types.js";

/** Hit/miss counters per level, and how many texts reached the model. */
export interface CacheStats {
  l1: LevelStats;
  l2: LevelStats | null;
  l3: LevelStats | null;
  /** Texts the model actually embedded (missed every level). */
  computed: number;
}

/** The cache key of a text: sha256 (hex) of its normalised form. The model id is added by each level. */
export function textKey(text: string): string {
  return createHash("sha256").update(normaliseText(text), "utf8").digest("hex");
}

/**
 * An Embedder that looks each text up in L1 (memory), then L2 (Redis), then L3 (disk), embeds
 * only what missed everywhere, and writes results back to the faster levels. Duplicate texts in
 * one call are embedded once. Vectors are bit-identical to the inner embedder's.
 */
export class CachedEmbedder implements Embedder {
  readonly modelId: string;
  readonly dims: number;
  readonly maxTokens: number;
  private readonly counters: LevelStats[];
  private computed = 0;

  constructor(
    readonly inner: Embedder,
    private readonly levels: readonly CacheLevel[],
  ) {
    this.modelId = inner.modelId;
    this.dims = inner.dims;
    this.maxTokens = inner.maxTokens;
    this.counters = levels.map(() => ({ hits: 0, misses: 0 }));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    assertEmbeddable(texts);
    const keys = texts.map(textKey);
    const textOf = new Map<string, string>();
    keys.forEach((key, i) => {
      // The model gets the normalised form: same vector, and one spelling per key.
      if (!textOf.has(key)) textOf.set(key, normaliseText(texts[i] ?? ""));
    });
    const found = new Map<string, Float32Array>();
    // Which level answered each key (levels.length = the model): results are written back above it.
    const source = new Map<string, number>();
    let pending = [...textOf.keys()];

    for (const [index, level] of this.levels.entries()) {
      if (pending.length === 0) break;
      const vectors = await level.getMany(pending);
      const stats = this.counters[index] ?? { hits: 0, misses: 0 };
      const stillMissing: string[] = [];
      pending.forEach((key, i) => {
        const vector = vectors[i];
        if (vector && vector.length === this.dims) {
          found.set(key, vector);
          source.set(key, index);
        } else {
          stillMissing.push(key);
        }
      });
      stats.hits += pending.length - stillMissing.length;
      stats.misses += stillMissing.length;
      pending = stillMissing;
    }

    if (pending.length > 0) {
      const fresh = await this.inner.embed(pending.map((key) => textOf.get(key) ?? ""));
      this.computed += pending.length;
      pending.forEach((key, i) => {
        const vector = fresh[i];
        if (!vector)
          throw new EmbeddingError("embed", "inference_failed", "the model returned too few vectors");
        found.set(key, vector);
        source.set(key, this.levels.length);
      });
    }

    for (const [index, level] of this.levels.entries()) {
      const entries: [string, Float32Array][] = [];
      for (const [key, from] of source) {
        const vector = found.get(key);
        if (from > index && vector) entries.push([key, vector]);
      }
      if (entries.length > 0) await level.setMany(entries);
    }
    // Copies, so a caller mutating a vector cannot corrupt the memory cache.
    return keys.map((key) => {
      const vector = found.get(key);
      if (!vector) throw new EmbeddingError("embed", "inference_failed", "a text got no vector");
      return Float32Array.from(vector);
    });
  }

  /** Counters per level since creation; levels that are not configured are null. */
  stats(): CacheStats {
    const get = (name: string): LevelStats | null => {
      const index = this.levels.findIndex((level) => level.name === name);
      const stats = this.counters[index];
      return index >= 0 && stats ? { ...stats } : null;
    };
    return { l1: get("l1") ?? { hits: 0, misses: 0 }, l2: get("l2"), l3: get("l3"), computed: this.computed };
  }

  async close(): Promise<void> {
    for (const level of this.levels) await level.close();
    await this.inner.close();
  }
}
