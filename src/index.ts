/** planvec as a library. Each area appends its public exports here. */

// Service (issue 8): configuration, logging, managers, event bus, REST API gateway.
export { ConfigError, loadConfig, type PlanvecConfig, redactConfig } from "./config/index.js";
// Errors shared by every area.
export { describeError, InputError, PlanvecError, UsageError } from "./core/errors.js";
// Embeddings (src/embedding/): the Embedder interface and the local MiniLM implementation.
export {
  createEmbedder,
  type Embedder,
  type EmbedderOptions,
  EmbeddingError,
  type LocalEmbedder,
} from "./embedding/index.js";
export { type BusEvent, EventBus, type EventTopics } from "./events/index.js";
export { createLogger } from "./logging/index.js";
export {
  ApiKeyStore,
  Coordinator,
  type Manager,
  ManagerStartError,
  serviceManagers,
} from "./managers/index.js";
// Plan parsing (src/markdown/): tasks, sections, declared progress, lint.
export * from "./markdown/index.js";
// Migration (src/migrate/): legacy vector data into any store.
export { detectFormat, MigrationError, type MigrationReport, openSource } from "./migrate/index.js";
// Indexing and search (src/pipeline/, src/search/).
export { type IndexRunOptions, type IndexSummary, indexSources } from "./pipeline/indexer.js";
export type { CollectionName, SourceExtractor, SourceRecord } from "./pipeline/records.js";
export { openWorkspace, type Workspace } from "./pipeline/workspace.js";
export { type DuplicateReport, findDuplicates } from "./search/duplicates.js";
export { type SearchHit, type SearchQuery, search } from "./search/search.js";
export { type ApiServer, startApiServer } from "./server/api/index.js";
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
