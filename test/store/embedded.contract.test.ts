import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { EmbeddedStore } from "../../src/store/embedded/store.js";
import { describeStoreContract } from "./contract.suite.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describeStoreContract(
  "embedded",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "planvec-store-"));
    dirs.push(dir);
    return EmbeddedStore.open(dir);
  },
  { propertyRuns: 80 },
);
