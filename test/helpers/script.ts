/**
 * Run a TypeScript snippet in a fresh Node process (through tsx, from the package root), for
 * tests of what a whole process does: exit by itself, print, keep nothing alive.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/embedding/model-files.js";

export function runScript(dir: string, name: string, source: string): SpawnSyncReturns<string> {
  const script = join(dir, name);
  writeFileSync(script, source);
  return spawnSync(process.execPath, ["--import", "tsx", script], {
    cwd: packageRoot(),
    encoding: "utf8",
    timeout: 60_000,
  });
}
