import { type IndexProgressReport, progressFromIndex } from "../../pipeline/index-progress.js";
import type { DuplicateReport } from "../../search/duplicates.js";
import { BaseManager } from "../base.js";
import type { EmbeddingManager } from "./embedding-manager.js";
import type { StorageManager } from "./storage-manager.js";

/** Plans and their progress from the index; re-indexing as an action. */
export class RoadmapManager extends BaseManager {
  readonly name = "roadmap";
  readonly dependsOn = ["storage", "embedding"] as const;
  private indexing: Promise<unknown> | null = null;

  constructor() {
    super();
    this.actions = {
      reindex: {
        description: "Index the plans under the given roots (incremental; only changed files are re-read)",
        scope: "write",
        input: {
          type: "object",
          properties: {
            roots: {
              type: "array",
              items: { type: "string", minLength: 1 },
              minItems: 1,
              maxItems: 32,
              default: ["."],
            },
            force: { type: "boolean", default: false },
          },
          additionalProperties: false,
        },
        run: async (input: { roots?: string[]; force?: boolean }) =>
          this.reindex(input.roots ?? ["."], input.force ?? false),
      },
    };
  }

  private get storage(): StorageManager {
    return this.context?.get<StorageManager>("storage") as StorageManager;
  }

  protected async onStart(): Promise<void> {
    this.storage.indexState.counts();
  }

  protected override async onStop(): Promise<void> {
    // Let an indexing run in flight finish: the index state stays consistent between files.
    await this.indexing?.catch(() => {});
  }

  protected override async onCheck(): Promise<void> {
    this.storage.indexState.counts();
  }

  progress(): IndexProgressReport {
    return progressFromIndex(this.storage.indexState);
  }

  async duplicates(options: { threshold?: number }): Promise<DuplicateReport> {
    const { findDuplicates } = await import("../../search/duplicates.js");
    return findDuplicates({ store: this.storage.store, state: this.storage.indexState }, options);
  }

  async reindex(roots: string[], force: boolean): Promise<unknown> {
    if (this.indexing) return { state: "already running" };
    const context = this.context;
    if (!context) throw new Error("roadmap is not started");
    const embedding = context.get<EmbeddingManager>("embedding");
    const run = (async () => {
      const { indexSources } = await import("../../pipeline/indexer.js");
      const { defaultKinds } = await import("../../pipeline/workspace.js");
      const summary = await indexSources({
        roots,
        kinds: await defaultKinds(),
        store: this.storage.store,
        embedder: embedding.raw,
        state: this.storage.indexState,
        force,
      });
      context.bus.publish("plan.indexed", {
        files: summary.files.seen,
        changed: summary.files.changed,
        records: summary.records.total,
        durationMs: summary.durationMs,
      });
      return summary;
    })();
    this.indexing = run;
    try {
      return await run;
    } finally {
      this.indexing = null;
    }
  }

  metrics(): Record<string, number> {
    const counts = this.storage.indexState.counts();
    return { tasks: counts.roadmap_tasks ?? 0, records: Object.values(counts).reduce((a, b) => a + b, 0) };
  }
}
