import { PlanvecError } from "../../core/errors.js";
import type { Embedder, LocalEmbedder } from "../../embedding/embedder.js";
import { BaseManager } from "../base.js";
import type { ManagerContext } from "../types.js";
import type { MonitoringManager } from "./monitoring-manager.js";

export class EmbeddingUnavailableError extends PlanvecError {}

/** Loads the embedding model (when `embedding.enabled`) and times every embed call. */
export class EmbeddingManager extends BaseManager {
  readonly name = "embedding";
  readonly dependsOn = ["config", "monitoring"] as const;
  private embedder: Embedder | undefined;
  private monitoring: MonitoringManager | undefined;
  private calls = 0;

  /** `given`: use this embedder instead of loading the model (closed by its owner). */
  constructor(private readonly given?: Embedder) {
    super();
  }

  get enabled(): boolean {
    return this.embedder !== undefined;
  }

  get dims(): number | null {
    return this.embedder?.dims ?? null;
  }

  get modelId(): string | null {
    return this.embedder?.modelId ?? null;
  }

  /** The embedder for indexing; throws when embedding is disabled. */
  get raw(): Embedder {
    if (!this.embedder) throw this.unavailable();
    return this.embedder;
  }

  protected async onStart(context: ManagerContext): Promise<void> {
    this.monitoring = context.get<MonitoringManager>("monitoring");
    if (this.given) this.embedder = this.given;
    else if (context.config.embedding.enabled) {
      const { createEmbedder } = await import("../../embedding/embedder.js");
      const { config, logger } = context;
      // The service's config wins over the embedder's own defaults for what it owns:
      // batch size (BATCH_SIZE) and the Redis URL (REDIS_URL / redis.url); the rest
      // (model dir, variant, threads, cache on/off) the embedder reads from `embedding:` itself.
      const cacheOff = (config.embedding as { cache?: unknown }).cache === false;
      this.embedder = await createEmbedder({
        batchSize: config.embedding.batchSize,
        onWarning: (message) => logger.warn({ manager: "embedding" }, message),
        ...(config.redis.url && !cacheOff ? { cache: { redisUrl: config.redis.url } } : {}),
      });
    }
    const local = this.embedder as Partial<LocalEmbedder> | undefined;
    if (local?.cacheStats) {
      this.monitoring.addCacheSource(() => {
        const stats = local.cacheStats?.();
        return stats ? { l1: stats.l1, l2: stats.l2, l3: stats.l3 } : null;
      });
    }
  }

  protected override async onStop(): Promise<void> {
    if (!this.given) await this.embedder?.close();
    this.embedder = undefined;
  }

  /** Embed texts, recording the time in `planvec_embedding_seconds`. */
  async embed(texts: string[]): Promise<Float32Array[]> {
    if (!this.embedder) throw this.unavailable();
    const end = this.monitoring?.embeddingDuration.startTimer();
    try {
      this.calls++;
      return await this.embedder.embed(texts);
    } finally {
      end?.();
    }
  }

  metrics(): Record<string, number> {
    return { calls: this.calls, dims: this.embedder?.dims ?? 0 };
  }

  private unavailable(): EmbeddingUnavailableError {
    return new EmbeddingUnavailableError(
      "embed",
      "embedding_disabled",
      "embedding is disabled (embedding.enabled: false); send a vector instead of text, or enable it",
    );
  }
}
