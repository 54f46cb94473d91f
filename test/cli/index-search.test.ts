import { spawn } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEntry, runCli, tsxLoader } from "../helpers/cli.js";

const examples = fileURLToPath(new URL("../../examples/plans", import.meta.url));
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-cli-index-"));
  await cp(join(examples, "plan-dev-v57-ecosystem-consolidation-go-native.md"), join(dir, "plans", "v57.md"));
  await cp(join(examples, "plan-dev-v43a-config-manager.md"), join(dir, "plans", "v43a.md"));
  // A copy of a whole plan: reported once by dupes, not task by task.
  await cp(join(examples, "plan-dev-v43a-config-manager.md"), join(dir, "plans", "v43a-copy.md"));
  await writeFile(
    join(dir, "plans", "small.md"),
    "# Small\n## Phase 1\n- [x] Implémenter le client Qdrant unifié\n- [ ] Rédiger la documentation utilisateur\n",
  );
  await writeFile(join(dir, "plans", "other.md"), "# Other\n- [ ] Implementer le client Qdrant unifie\n");
  env = { PLANVEC_CACHE_DIR: join(dir, "cache") };
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.sequential("planvec index / search / status / dupes / progress", { timeout: 300_000 }, () => {
  it("indexes, then answers a question with file:line", async () => {
    const indexed = await runCli(["index", "plans", "--json"], { cwd: dir, env });
    expect(indexed.code).toBe(0);
    const summary = JSON.parse(indexed.stdout);
    expect(summary.files).toMatchObject({ seen: 5, changed: 5 });
    expect(summary.collections.roadmap_tasks).toBeGreaterThan(300);

    const result = await runCli(["search", "client", "Qdrant", "unifié", "--file", "small.md"], {
      cwd: dir,
      env,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("plans/small.md:3: [x] Implémenter le client Qdrant unifié");
  });

  it("prints the documented JSON for search, and filters", async () => {
    const result = await runCli(
      ["search", "documentation utilisateur", "--status", "pending", "--json", "--limit", "3"],
      { cwd: dir, env },
    );
    const hits = JSON.parse(result.stdout);
    expect(hits.length).toBe(3);
    for (const hit of hits) {
      expect(Object.keys(hit).sort()).toEqual([
        "collection",
        "file",
        "id",
        "line",
        "score",
        "section",
        "status",
        "text",
        "title",
      ]);
      expect(hit.status).toBe("pending");
    }
  });

  it("re-runs with nothing to do, and status says everything is current", async () => {
    const again = JSON.parse((await runCli(["index", "plans", "--json"], { cwd: dir, env })).stdout);
    expect(again.records.embedded).toBe(0);
    expect(again.files.unchanged).toBe(5);
    const status = JSON.parse((await runCli(["status", "plans", "--json"], { cwd: dir, env })).stdout);
    expect(status).toMatchObject({ indexed: 5, stale: [], unindexed: [], missing: [] });
    await writeFile(join(dir, "plans", "new.md"), "- [ ] brand new task\n");
    const after = JSON.parse((await runCli(["status", "plans", "--json"], { cwd: dir, env })).stdout);
    expect(after.unindexed).toEqual(["plans/new.md"]);
  });

  it("finds near-duplicate tasks with a status conflict, and whole-plan copies once", async () => {
    const result = await runCli(["dupes", "--json"], { cwd: dir, env });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.files).toEqual([
      { files: ["plans/v43a-copy.md", "plans/v43a.md"], identical: true, similarity: 1 },
    ]);
    const conflict = report.clusters.find((cluster: { members: { file: string }[] }) =>
      cluster.members.some((member) => member.file === "plans/other.md"),
    );
    expect(conflict).toMatchObject({ statusConflict: true });
    expect(
      conflict.members.map((m: { file: string; line: number }) => `${m.file}:${m.line}`).sort(),
    ).toContain("plans/small.md:3");
    // No cluster pairs tasks of the two copies with each other.
    for (const cluster of report.clusters) {
      const files = new Set(cluster.members.map((m: { file: string }) => m.file));
      expect(files.has("plans/v43a.md") && files.has("plans/v43a-copy.md") && files.size === 2).toBe(false);
    }
  });

  it("reports progress from the index", async () => {
    const report = JSON.parse((await runCli(["progress", "--json"], { cwd: dir, env })).stdout);
    const small = report.plans.find((plan: { file: string }) => plan.file === "plans/small.md");
    expect(small).toMatchObject({ done: 1, total: 2, phases: [{ title: "Phase 1", done: 1, total: 2 }] });
  });

  it("converges after being killed mid-run", { timeout: 180_000 }, async () => {
    const store = `embedded:${join(dir, "killed")}`;
    // A cache of its own, so the killed runs really embed (and are killed while writing).
    const killedEnv = { ...env, PLANVEC_CACHE_DIR: join(dir, "cache-killed") };
    for (const delay of [3000, 6000]) {
      const child = spawn(
        process.execPath,
        ["--import", tsxLoader, cliEntry, "index", "plans", "--store", store, "--json"],
        {
          cwd: dir,
          env: { ...process.env, ...killedEnv },
          stdio: "ignore",
        },
      );
      // Listen before waiting: on a warm cache the run may finish before the kill.
      const closed = new Promise((resolve) => child.on("close", resolve));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill("SIGKILL");
      await closed;
    }
    const finished = JSON.parse(
      (await runCli(["index", "plans", "--store", store, "--json"], { cwd: dir, env: killedEnv })).stdout,
    );
    const reference = JSON.parse((await runCli(["index", "plans", "--json"], { cwd: dir, env })).stdout);
    expect(finished.collections).toEqual(reference.collections);
    const again = JSON.parse(
      (await runCli(["index", "plans", "--store", store, "--json"], { cwd: dir, env })).stdout,
    );
    expect(again.records.embedded).toBe(0);
  });
});
