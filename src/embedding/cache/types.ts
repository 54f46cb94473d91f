/** One level of the embedding cache. Keys are `sha256(normalised text)` hex; vectors are owned by the caller. */
export interface CacheLevel {
  /** `l1`, `l2` or `l3`, used in stats and warnings. */
  readonly name: string;
  /** One entry per key, `undefined` for a miss. Never throws for a backend fault: it misses. */
  getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]>;
  /** Store vectors. Never throws for a backend fault: the write is dropped. */
  setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void>;
  close(): Promise<void>;
}

/** Hits and misses of one level since the cache was opened. */
export interface LevelStats {
  hits: number;
  misses: number;
}
