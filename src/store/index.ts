/**
 * Vector stores: the contract, the factory and the portable format.
 * Import from here (`src/store/index.js`) rather than from the implementation modules.
 */
import {
  DEFAULT_STORE_SPEC,
  type OpenStore,
  type OpenStoreOptions,
  parseStoreSpec,
  type VectorStore,
} from "./contract.js";

export * from "./contract.js";
export * from "./portable.js";

/**
 * Open a store from a spec: `embedded:PATH` (default `embedded:./.planvec`) or `qdrant:URL`
 * (`qdrant:` alone reads QDRANT_URL or QDRANT_HOST/QDRANT_PORT, and QDRANT_API_KEY).
 * Implementations are loaded lazily so using one store never loads the other's dependencies.
 */
export const openStore: OpenStore = async (
  spec: string = DEFAULT_STORE_SPEC,
  options: OpenStoreOptions = {},
): Promise<VectorStore> => {
  const parsed = parseStoreSpec(spec);
  if (parsed.kind === "embedded") {
    const { EmbeddedStore } = await import("./embedded/store.js");
    return EmbeddedStore.open(parsed.path, options);
  }
  const { QdrantStore } = await import("./qdrant/store.js");
  return QdrantStore.connect(parsed.url, options);
};
