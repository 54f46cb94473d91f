import { Redis } from "ioredis";
import type { CacheLevel } from "./types.js";

export interface RedisCacheOptions {
  url: string;
  /** Namespaces keys: `planvec:emb:<modelId>:<sha256>`. */
  modelId: string;
  dims: number;
  /** Seconds an entry lives; default 30 days. 0 keeps entries until Redis evicts them. */
  ttlSeconds?: number;
  /** Per-command timeout in ms; a slow Redis must not slow embedding. Default 500. */
  commandTimeoutMs?: number;
  /** Told once per outage that the cache runs without Redis. */
  onWarning: (message: string) => void;
}

/**
 * L2: vectors shared between processes and machines through Redis (raw float32 little-endian
 * values, 1 536 bytes for 384 dims). Redis is optional: when it is unreachable or fails, every
 * lookup misses and writes are dropped, one warning is printed, and ioredis keeps reconnecting
 * in the background so the level comes back by itself.
 */
export class RedisCache implements CacheLevel {
  readonly name = "l2";
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private down = false;
  private closing = false;
  private readonly warn: (message: string) => void;
  private readonly url: string;

  constructor(private readonly options: RedisCacheOptions) {
    this.prefix = `planvec:emb:${options.modelId}:`;
    this.ttl = options.ttlSeconds ?? 30 * 24 * 3600;
    this.warn = options.onWarning;
    this.url = redactUrl(options.url);
    this.client = new Redis(options.url, {
      lazyConnect: true,
      // Fail fast instead of queueing while disconnected: a miss is cheaper than waiting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: options.commandTimeoutMs ?? 500,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on("error", (error: Error) => this.markDown(error));
    this.client.on("ready", () => {
      this.down = false;
    });
    // A server that dies mid-run closes the socket before any command fails: that is the outage.
    this.client.on("close", () => {
      if (!this.closing) this.markDown(new Error("connection closed"));
    });
  }

  /** True while Redis answers. */
  get available(): boolean {
    return this.client.status === "ready" && !this.down;
  }

  /** Connect once; a failure only degrades the cache (with its warning). */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      this.markDown(error as Error);
    }
  }

  private markDown(error: Error): void {
    if (this.down) return;
    this.down = true;
    this.warn(
      `Redis cache at ${this.url} unavailable (${error.message}); continuing with the memory and disk caches`,
    );
  }

  async getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    if (keys.length === 0 || this.client.status !== "ready") return keys.map(() => undefined);
    try {
      const values = await this.client.mgetBuffer(...keys.map((key) => this.prefix + key));
      return values.map((value) => this.decode(value));
    } catch (error) {
      this.markDown(error as Error);
      return keys.map(() => undefined);
    }
  }

  private decode(value: Buffer | null): Float32Array | undefined {
    if (!value || value.byteLength !== this.options.dims * 4) return undefined;
    const vector = new Float32Array(this.options.dims);
    for (let i = 0; i < vector.length; i++) vector[i] = value.readFloatLE(i * 4);
    return vector;
  }

  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    if (entries.length === 0 || this.client.status !== "ready") return;
    const pipeline = this.client.pipeline();
    for (const [key, vector] of entries) {
      const buffer = Buffer.alloc(vector.length * 4);
      for (let i = 0; i < vector.length; i++) buffer.writeFloatLE(vector[i] ?? 0, i * 4);
      if (this.ttl > 0) pipeline.set(this.prefix + key, buffer, "EX", this.ttl);
      else pipeline.set(this.prefix + key, buffer);
    }
    try {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) this.markDown(failed[0]);
    } catch (error) {
      this.markDown(error as Error);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.disconnect();
  }
}

/** Never print a password from REDIS_URL. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable REDIS_URL)";
  }
}
