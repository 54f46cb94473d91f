import { type OpenStoreOptions, StoreError, type VectorStore } from "../contract.js";

/** Embedded store (SQLite + in-memory index). Work in progress: lands in the next commits. */
export const EmbeddedStore = {
  async open(path: string, _options: OpenStoreOptions): Promise<VectorStore> {
    throw new StoreError("store.open", "unavailable", `embedded store at ${path}: not implemented yet`);
  },
};
