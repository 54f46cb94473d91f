/** planvec as a library. Each area appends its public exports here. */

// Vector stores (src/store/): the contract, the factory, the portable format.
export type {
  CollectionInfo,
  CollectionSpec,
  Distance,
  Filter,
  Payload,
  Point,
  PointId,
  ScoredPoint,
  SearchOptions,
  StoredPoint,
  VectorStore,
} from "./store/contract.js";
export { DEFAULT_STORE_SPEC, parseStoreSpec, StoreError, uuidV5ForKey } from "./store/contract.js";
export { exportCollectionToFile, importFileToStore, openStore } from "./store/index.js";
