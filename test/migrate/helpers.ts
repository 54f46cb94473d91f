import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VectorStore } from "../../src/store/contract.js";
import { openStore } from "../../src/store/index.js";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "migrate");
export const fixture = (name: string): string => join(FIXTURES, name);

/** A temp directory removed by the returned cleanup. */
export async function tempDir(
  prefix = "planvec-migrate-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A real embedded store in `dir` (SQLite files). */
export async function openTestStore(dir: string): Promise<VectorStore> {
  return openStore(`embedded:${join(dir, "store")}`, { backgroundIndexing: false });
}
