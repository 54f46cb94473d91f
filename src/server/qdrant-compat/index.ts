/**
 * Qdrant-compatible REST server over a planvec store (`planvec serve-qdrant`).
 *
 * Any Qdrant client (the official JS and Python clients, curl) can talk to planvec's embedded
 * store through Qdrant's own REST protocol, and the same code later runs unchanged against a
 * real Qdrant cluster. Follows Qdrant's OpenAPI spec v1.19.0 for every endpoint it serves.
 */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { OpenStoreOptions, VectorStore } from "../../store/contract.js";
import { buildQdrantCompatApp } from "./app.js";
import { PayloadIndexRegistry } from "./payload-indexes.js";
import { QdrantCompatService } from "./service.js";

export { buildQdrantCompatApp, DEFAULT_BODY_LIMIT_BYTES, qdrantCompatPlugin } from "./app.js";
export { QdrantCompatError } from "./errors.js";
export { QdrantCompatService } from "./service.js";
export { QDRANT_API_VERSION, qdrantOpenApiSubset } from "./spec.js";

export interface QdrantCompatServerOptions {
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default 6333, Qdrant's); 0 picks a free one. */
  port?: number;
  /** Embedded store directory (default `./.planvec`); ignored for the store when `store` is given. */
  dataDir?: string;
  /** Require this key (`api-key` header or `Authorization: Bearer`). */
  apiKey?: string | undefined;
  /** Serve this store instead of opening the embedded store in `dataDir`; the caller closes it. */
  store?: VectorStore;
  /** Options for the embedded store opened in `dataDir` (e.g. `hnswThreshold`). */
  storeOptions?: OpenStoreOptions;
  /** Largest request body in bytes (default 32 MiB, as Qdrant). */
  bodyLimitBytes?: number;
  logger?: boolean;
}

export interface QdrantCompatServer {
  /** Base URL, e.g. `http://127.0.0.1:6333`. */
  url: string;
  port: number;
  app: FastifyInstance;
  store: VectorStore;
  /** Stop accepting requests, finish the ones in flight, close the store if we opened it. */
  close(): Promise<void>;
}

/** Start serving; resolves once the port is bound and the store is open. */
export async function startQdrantCompatServer(
  options: QdrantCompatServerOptions = {},
): Promise<QdrantCompatServer> {
  const host = options.host ?? "127.0.0.1";
  const dataDir = options.dataDir ?? "./.planvec";
  let store = options.store;
  const ownsStore = store === undefined;
  if (!store) {
    const { openStore } = await import("../../store/index.js");
    // Searches score on a second thread while this one serves requests (search-thread.ts);
    // other processes' commits are looked for once per event-loop turn (wal-watch.ts).
    store = await openStore(`embedded:${dataDir}`, {
      searchThread: true,
      changeCheck: "once-per-turn",
      ...options.storeOptions,
    });
  }
  const indexFile =
    ownsStore || options.dataDir ? join(dataDir, "qdrant-compat", "payload-indexes.json") : null;
  const service = new QdrantCompatService(store, await PayloadIndexRegistry.open(indexFile));
  const app = await buildQdrantCompatApp({
    service,
    apiKey: options.apiKey,
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    logger: options.logger ?? false,
  });
  try {
    await app.listen({ host, port: options.port ?? 6333 });
  } catch (error) {
    await app.close();
    if (ownsStore) await store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 6333);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const opened = store;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    app,
    store: opened,
    close: async () => {
      await app.close();
      if (ownsStore) await opened.close();
    },
  };
}
