import { type OpenStoreOptions, StoreError, type VectorStore } from "../contract.js";

/** Qdrant store. Work in progress: lands in the next commits. */
export const QdrantStore = {
  async connect(url: string | null, _options: OpenStoreOptions): Promise<VectorStore> {
    throw new StoreError("store.open", "unavailable", `qdrant store ${url ?? "(env)"}: not implemented yet`);
  },
};
