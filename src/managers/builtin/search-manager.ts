import { type SearchHit, type SearchQuery, search as searchIndex } from "../../search/search.js";
import type { Filter, ScoredPoint } from "../../store/index.js";
import { BaseManager } from "../base.js";
import type { EmbeddingManager } from "./embedding-manager.js";
import type { StorageManager } from "./storage-manager.js";

export interface VectorQuery {
  collection: string;
  /** Either a vector or a text to embed. */
  vector?: number[];
  text?: string;
  filter?: Filter | null;
  limit: number;
  scoreThreshold?: number;
  withPayload?: boolean;
}

/** Raw vector search over any collection, and planvec's hybrid plan search. */
export class SearchManager extends BaseManager {
  readonly name = "search";
  readonly dependsOn = ["storage", "embedding"] as const;
  private queries = 0;

  private get storage(): StorageManager {
    return this.context?.get<StorageManager>("storage") as StorageManager;
  }

  private get embedding(): EmbeddingManager {
    return this.context?.get<EmbeddingManager>("embedding") as EmbeddingManager;
  }

  protected async onStart(): Promise<void> {}

  /** Nearest points to a vector (or to the embedding of a text) in one collection. */
  async vectors(query: VectorQuery): Promise<ScoredPoint[]> {
    this.queries++;
    const vector = query.vector ?? (await this.embedding.embed([query.text ?? ""]))[0];
    return this.storage.search(query.collection, vector as number[] | Float32Array, query);
  }

  /** Hybrid (vector + keyword) search over the plan index. */
  async plans(query: SearchQuery): Promise<SearchHit[]> {
    this.queries++;
    const mode = query.mode ?? (this.embedding.enabled ? "hybrid" : "keyword");
    return searchIndex(
      { ...query, mode },
      {
        store: this.storage.store,
        state: this.storage.indexState,
        ...(this.embedding.enabled ? { embedder: this.embedding.raw } : {}),
      },
    );
  }

  metrics(): Record<string, number> {
    return { queries: this.queries };
  }
}
