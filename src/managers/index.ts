/** Managers under one coordinator: the service's lifecycle. */
import type { LoadedConfig } from "../config/load.js";
import type { Embedder } from "../embedding/embedder.js";
import type { IndexState } from "../pipeline/index-state.js";
import type { VectorStore } from "../store/index.js";
import { CollectionManager } from "./builtin/collection-manager.js";
import { ConfigManager } from "./builtin/config-manager.js";
import { EmbeddingManager } from "./builtin/embedding-manager.js";
import { MonitoringManager } from "./builtin/monitoring-manager.js";
import { RoadmapManager } from "./builtin/roadmap-manager.js";
import { SearchManager } from "./builtin/search-manager.js";
import { SecurityManager } from "./builtin/security-manager.js";
import { StorageManager } from "./builtin/storage-manager.js";
import type { Manager } from "./types.js";

export {
  ApiKeyError,
  type ApiKeyInfo,
  ApiKeyStore,
  type CreatedApiKey,
  parseScopes,
  scopeAllows,
} from "./api-keys.js";
export { BaseManager } from "./base.js";
export { CollectionManager } from "./builtin/collection-manager.js";
export { ConfigManager } from "./builtin/config-manager.js";
export { EmbeddingManager, EmbeddingUnavailableError } from "./builtin/embedding-manager.js";
export { MonitoringManager } from "./builtin/monitoring-manager.js";
export { RoadmapManager } from "./builtin/roadmap-manager.js";
export { SearchManager, type VectorQuery } from "./builtin/search-manager.js";
export { SecurityManager } from "./builtin/security-manager.js";
export { StorageManager } from "./builtin/storage-manager.js";
export {
  Coordinator,
  CoordinatorError,
  type CoordinatorOptions,
  type HealthReport,
  type HealthState,
  ManagerStartError,
  onShutdownSignal,
} from "./coordinator.js";
export * from "./types.js";

export interface ServiceManagerOptions {
  /** Use these instead of opening the store/index named by the config (tests, embedding in an app). */
  workspace?: { store: VectorStore; state: IndexState };
  /** Use this embedder instead of loading the model. */
  embedder?: Embedder;
  /** API key database (default `<dataDir>/service.db`). */
  keysPath?: string;
}

/** The real managers of `planvec serve`, ready to register with a coordinator. */
export function serviceManagers(loaded: LoadedConfig, options: ServiceManagerOptions = {}): Manager[] {
  return [
    new ConfigManager(loaded),
    new MonitoringManager(),
    new SecurityManager(options.keysPath),
    new StorageManager(options.workspace),
    new EmbeddingManager(options.embedder),
    new RoadmapManager(),
    new SearchManager(),
    new CollectionManager("dependencies", "dependencies", "dependency manifests"),
    new CollectionManager("schemas", "schemas", "schemas"),
    new CollectionManager("security-policies", "security_policies", "security policies"),
  ];
}
