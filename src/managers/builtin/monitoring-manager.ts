import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { EventBus } from "../../events/bus.js";
import { BaseManager } from "../base.js";
import type { ManagerContext } from "../types.js";

/** Owns the Prometheus registry every other part reports into (`GET /metrics`). */
export class MonitoringManager extends BaseManager {
  readonly name = "monitoring";
  readonly dependsOn = [] as const;
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: "planvec_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly embeddingDuration = new Histogram({
    name: "planvec_embedding_seconds",
    help: "Time to embed one request's texts (cache included)",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly storeOperations = new Counter({
    name: "planvec_store_operations_total",
    help: "Store operations made by the service, by operation and outcome",
    labelNames: ["operation", "outcome"],
    registers: [this.registry],
  });
  private bus: EventBus | undefined;
  private readonly cacheSources: (() => Record<string, { hits: number; misses: number } | null> | null)[] =
    [];

  constructor() {
    super();
    const self = this;
    new Gauge({
      name: "planvec_event_bus_queue_depth",
      help: "Events waiting in subscriber queues",
      registers: [this.registry],
      collect() {
        this.set(self.bus?.queueDepth() ?? 0);
      },
    });
    new Gauge({
      name: "planvec_embedding_cache_hit_ratio",
      help: "Embedding cache hits / lookups per level since start",
      labelNames: ["level"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const source of self.cacheSources) {
          for (const [level, stats] of Object.entries(source() ?? {})) {
            if (!stats) continue;
            const lookups = stats.hits + stats.misses;
            this.set({ level }, lookups === 0 ? 0 : stats.hits / lookups);
          }
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "planvec_" });
  }

  /** Report embedding cache levels (called by the embedding manager). */
  addCacheSource(source: () => Record<string, { hits: number; misses: number } | null> | null): void {
    this.cacheSources.push(source);
  }

  protected async onStart(context: ManagerContext): Promise<void> {
    this.bus = context.bus;
  }

  metrics(): Record<string, number> {
    return { eventQueueDepth: this.bus?.queueDepth() ?? 0 };
  }
}
