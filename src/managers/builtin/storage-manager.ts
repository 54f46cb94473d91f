import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { IndexState } from "../../pipeline/index-state.js";
import type { Filter, ScoredPoint, VectorStore } from "../../store/index.js";
import { BaseManager } from "../base.js";
import type { ManagerContext } from "../types.js";
import type { MonitoringManager } from "./monitoring-manager.js";

/** Opens the vector store and the index state named by `store.spec`; counts operations. */
export class StorageManager extends BaseManager {
  readonly name = "storage";
  readonly dependsOn = ["config", "monitoring"] as const;
  private opened: { store: VectorStore; state: IndexState; close(): Promise<void> } | undefined;
  private monitoring: MonitoringManager | undefined;

  constructor(private readonly given?: { store: VectorStore; state: IndexState }) {
    super();
    this.actions = {
      collections: {
        description: "Collections with their point counts",
        scope: "read",
        input: { type: "object", properties: {}, additionalProperties: false },
        run: async () => this.collections(),
      },
      backup: {
        description:
          "Export a collection to a portable file under <dataDir>/backups (restorable with `planvec store import`)",
        scope: "admin",
        input: {
          type: "object",
          properties: { collection: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,255}$" } },
          required: ["collection"],
          additionalProperties: false,
        },
        run: async (input: { collection: string }) => this.backup(input.collection),
      },
    };
  }

  get store(): VectorStore {
    if (!this.opened) throw new Error("storage is not started");
    return this.opened.store;
  }

  get indexState(): IndexState {
    if (!this.opened) throw new Error("storage is not started");
    return this.opened.state;
  }

  protected async onStart(context: ManagerContext): Promise<void> {
    this.monitoring = context.get<MonitoringManager>("monitoring");
    if (this.given) {
      this.opened = { ...this.given, close: async () => {} };
      return;
    }
    // Same layout as openWorkspace (index state beside an embedded store, else ./.planvec),
    // but the Qdrant connection comes from the service config (file < env < flags), not env alone.
    const { openStore, parseStoreSpec } = await import("../../store/index.js");
    const { IndexState } = await import("../../pipeline/index-state.js");
    const { spec } = context.config.store;
    const parsed = parseStoreSpec(spec);
    const { qdrant } = context.config;
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...(qdrant.url ? { QDRANT_URL: qdrant.url } : {}),
      ...(qdrant.host ? { QDRANT_HOST: qdrant.host } : {}),
      ...(qdrant.port !== undefined ? { QDRANT_PORT: String(qdrant.port) } : {}),
      ...(qdrant.apiKey ? { QDRANT_API_KEY: qdrant.apiKey } : {}),
    };
    // A server under concurrent load: searches score on a second thread (search-thread.ts),
    // other processes' commits are looked for once per event-loop turn (wal-watch.ts).
    const store = await openStore(spec, { env, searchThread: true, changeCheck: "once-per-turn" });
    try {
      const state = IndexState.open(
        resolve(parsed.kind === "embedded" ? parsed.path : ".planvec"),
        store.location,
      );
      this.opened = {
        store,
        state,
        close: async () => {
          state.close();
          await store.close();
        },
      };
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  protected override async onStop(): Promise<void> {
    await this.opened?.close();
    this.opened = undefined;
  }

  protected override async onCheck(): Promise<void> {
    await this.tracked("listCollections", () => this.store.listCollections());
  }

  async collections(): Promise<{ name: string; points: number }[]> {
    const names = await this.tracked("listCollections", () => this.store.listCollections());
    return Promise.all(
      names.map(async (name) => ({
        name,
        points: await this.tracked("count", () => this.store.count(name)),
      })),
    );
  }

  /** Write a portable export of `collection` to `<dataDir>/backups/<collection>-<time>.jsonl.gz` (portable format). */
  async backup(collection: string): Promise<{ file: string; points: number }> {
    const { exportCollectionToFile } = await import("../../store/index.js");
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = join(
      this.context?.config.dataDir ?? ".planvec",
      "backups",
      `${collection}-${stamp}.jsonl.gz`,
    );
    await mkdir(dirname(file), { recursive: true });
    const { points } = await this.tracked("export", () =>
      exportCollectionToFile(this.store, collection, file),
    );
    return { file, points };
  }

  search(
    collection: string,
    vector: number[] | Float32Array,
    options: { limit: number; filter?: Filter | null; withPayload?: boolean; scoreThreshold?: number },
  ): Promise<ScoredPoint[]> {
    return this.tracked("search", () =>
      this.store.search(collection, vector, {
        limit: options.limit,
        filter: options.filter ?? null,
        withPayload: options.withPayload ?? true,
        ...(options.scoreThreshold === undefined ? {} : { scoreThreshold: options.scoreThreshold }),
      }),
    );
  }

  /** Run a store call, counting it by outcome and publishing `store.error` on failure. */
  async tracked<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.monitoring?.storeOperations.inc({ operation, outcome: "ok" });
      return result;
    } catch (error) {
      this.monitoring?.storeOperations.inc({ operation, outcome: "error" });
      const code = (error as { code?: unknown }).code;
      this.context?.bus.publish("store.error", {
        operation,
        code: typeof code === "string" ? code : "unknown",
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }
}
