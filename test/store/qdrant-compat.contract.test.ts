/**
 * The contract suite through QdrantStore (official Qdrant JS client) against planvec's
 * Qdrant-compatible server on loopback: proves the Qdrant store and the server agree with the
 * embedded store's behaviour.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { type QdrantCompatServer, startQdrantCompatServer } from "../../src/server/qdrant-compat/index.js";
import { QdrantStore } from "../../src/store/qdrant/store.js";
import { describeStoreContract } from "./contract.suite.js";

let server: QdrantCompatServer | undefined;
let dir: string | undefined;
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeStoreContract(
  "qdrant store → planvec Qdrant-compatible server",
  async () => {
    dir = await mkdtemp(join(tmpdir(), "planvec-qcompat-"));
    server = await startQdrantCompatServer({ host: "127.0.0.1", port: 0, dataDir: dir });
    return QdrantStore.connect(server.url, { retries: 1, halfOpenAfterMs: 200, onCircuitChange: () => {} });
  },
  { propertyRuns: 25 },
);
