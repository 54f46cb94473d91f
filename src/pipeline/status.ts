import { stat } from "node:fs/promises";
import { discoverFiles } from "./discover.js";
import type { Workspace } from "./workspace.js";

export interface IndexStatus {
  modelId: string | null;
  collections: Record<string, number>;
  indexed: number;
  /** Indexed files whose size or modification time changed since. */
  stale: string[];
  /** Files a run would index that the index does not have. */
  unindexed: string[];
  /** Indexed files that no longer exist. */
  missing: string[];
}

/** Compare the index state with the files under `roots` without reading their contents. */
export async function indexStatus(
  roots: string[],
  workspace: Pick<Workspace, "state" | "kinds">,
): Promise<IndexStatus> {
  const files = await discoverFiles(roots, workspace.kinds);
  const known = new Map(workspace.state.files().map((row) => [row.file, row]));
  const stale: string[] = [];
  const unindexed: string[] = [];
  for (const file of files) {
    const row = known.get(file.file);
    known.delete(file.file);
    if (!row) {
      unindexed.push(file.file);
      continue;
    }
    const info = await stat(file.path);
    if (info.size !== row.size || info.mtimeMs !== row.mtimeMs) stale.push(file.file);
  }
  return {
    modelId: workspace.state.getMeta("model_id") ?? null,
    collections: workspace.state.counts(),
    indexed: workspace.state.files().length,
    stale,
    unindexed,
    missing: [...known.keys()],
  };
}
