import type { SearchHit } from "../../search/search.js";
import { BaseManager } from "../base.js";
import type { SearchManager } from "./search-manager.js";
import type { StorageManager } from "./storage-manager.js";

/**
 * One indexed knowledge kind (dependencies, schemas, security policies): its record count and
 * a search restricted to its collection. The records come from the indexer's extractors.
 */
export class CollectionManager extends BaseManager {
  readonly dependsOn = ["storage", "search"] as const;

  constructor(
    readonly name: string,
    readonly collection: string,
    what: string,
  ) {
    super();
    this.actions = {
      count: {
        description: `Number of indexed ${what}`,
        scope: "read",
        input: { type: "object", properties: {}, additionalProperties: false },
        run: async () => ({ collection: this.collection, records: this.records() }),
      },
      search: {
        description: `Search the indexed ${what} in your own words`,
        scope: "read",
        input: {
          type: "object",
          properties: {
            query: { type: "string", minLength: 1, maxLength: 2048 },
            limit: { type: "integer", minimum: 1, maximum: 100, default: 10 },
          },
          required: ["query"],
          additionalProperties: false,
        },
        run: async (input: { query: string; limit?: number }) => this.search(input.query, input.limit ?? 10),
      },
    };
  }

  protected async onStart(): Promise<void> {}

  records(): number {
    const storage = this.context?.get<StorageManager>("storage");
    return storage?.indexState.counts()[this.collection] ?? 0;
  }

  search(query: string, limit: number): Promise<SearchHit[]> {
    const search = this.context?.get<SearchManager>("search") as SearchManager;
    return search.plans({ query, collection: this.collection, limit });
  }

  metrics(): Record<string, number> {
    return { records: this.records() };
  }
}
