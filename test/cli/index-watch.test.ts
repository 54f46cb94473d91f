import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliEntry, runCli, tsxLoader } from "../helpers/cli.js";

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("planvec index --watch", () => {
  it("re-indexes a file that appears, then stops cleanly on SIGTERM", { timeout: 300_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "planvec-watch-"));
    const root = dir;
    await mkdir(join(root, "plans"));
    await writeFile(join(root, "plans", "a.md"), "# A\n- [ ] Écrire le guide de démarrage\n");
    const env = { ...process.env, PLANVEC_CACHE_DIR: join(root, "cache") };
    const child = spawn(
      process.execPath,
      ["--import", tsxLoader, cliEntry, "index", "plans", "--watch", "--json", "--debounce", "200"],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const waitFor = async (condition: () => boolean, what: string) => {
      for (let i = 0; i < 1200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      if (!condition()) throw new Error(`timed out waiting for ${what}; stderr: ${stderr}`);
    };
    await waitFor(() => stderr.includes("watching"), "the watcher to start");
    await writeFile(join(root, "plans", "b.md"), "# B\n- [x] Configurer le cache Redis\n");
    // The first summary is pretty-printed JSON; each watch pass prints one compact line.
    await waitFor(() => stdout.split("\n").some((line) => line.startsWith('{"files"')), "a watch pass");
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    const pass = JSON.parse(stdout.split("\n").find((line) => line.startsWith('{"files"')) as string);
    expect(pass.files).toMatchObject({ changed: 1 });
    const status = JSON.parse((await runCli(["status", "plans", "--json"], { cwd: root, env })).stdout);
    expect(status).toMatchObject({ indexed: 2, stale: [], unindexed: [] });
  });
});
