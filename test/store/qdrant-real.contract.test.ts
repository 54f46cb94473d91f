/** The contract suite against a real Qdrant, when QDRANT_URL is set (skipped otherwise). */
import { describe, it } from "vitest";
import { QdrantStore } from "../../src/store/qdrant/store.js";
import { describeStoreContract } from "./contract.suite.js";

if (process.env.QDRANT_URL) {
  describeStoreContract(
    "qdrant store → real Qdrant (QDRANT_URL)",
    () => QdrantStore.connect(process.env.QDRANT_URL ?? null),
    {
      propertyRuns: 25,
    },
  );
} else {
  describe("qdrant store → real Qdrant", () => {
    it.skip("set QDRANT_URL to run the contract suite against a real Qdrant", () => {});
  });
}
