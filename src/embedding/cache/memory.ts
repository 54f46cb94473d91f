import { LRUCache } from "lru-cache";
import type { CacheLevel } from "./types.js";

/** L1: in-process LRU bounded by bytes (vector bytes + key), not by entry count. */
export class MemoryCache implements CacheLevel {
  readonly name = "l1";
  private readonly lru: LRUCache<string, Float32Array>;

  /** @param maxBytes default 64 MiB ≈ 42 000 vectors of 384 floats */
  constructor(maxBytes = 64 * 1024 * 1024) {
    this.lru = new LRUCache<string, Float32Array>({
      maxSize: maxBytes,
      sizeCalculation: (vector, key) => vector.byteLength + key.length * 2,
    });
  }

  get size(): number {
    return this.lru.size;
  }

  async getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    return keys.map((key) => this.lru.get(key));
  }

  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    for (const [key, vector] of entries) this.lru.set(key, vector);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
