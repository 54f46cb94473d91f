/**
 * `planvec migrate` / `planvec restore` as a user runs them (child processes, real exit codes),
 * including the crash test: a migrating process is killed with SIGKILL at random points and
 * re-run with --resume; the store ends with every point exactly once.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidV5ForKey } from "../../src/store/contract.js";
import { runCli } from "../helpers/cli.js";
import { fixture, openTestStore, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

const storeSpec = (name: string) => `embedded:${join(dir, name)}`;

describe("planvec migrate (CLI)", { timeout: 120_000 }, () => {
  it("migrates, prints the summary, writes the JSON report, exits 0", async () => {
    const reportFile = join(dir, "report.json");
    const result = await runCli([
      "migrate",
      fixture("legacy.json.gz"),
      "--to",
      storeSpec("s1/store"),
      "--collection",
      "tasks",
      "--report",
      reportFile,
      "--state-dir",
      join(dir, "state1"),
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/migration OK/);
    expect(result.stdout).toMatch(/records read 24, written 24, skipped 0, failed 0, duplicates 0/);
    expect(result.stdout).toMatch(/integrity 24 verified, 0 mismatched/);
    const report = JSON.parse(readFileSync(reportFile, "utf8"));
    expect(report.counts.verified).toBe(24);
    expect(report.source.format).toBe("json");
  });

  it("exits 2 with the numbers on a dimension mismatch", async () => {
    const store = await openTestStore(join(dir, "s2"));
    await store.ensureCollection("big", { dims: 384, distance: "Cosine" });
    await store.close();
    const result = await runCli([
      "migrate",
      fixture("legacy.json"),
      "--to",
      `embedded:${join(dir, "s2", "store")}`,
      "--collection",
      "big",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/8-d but collection big holds 384-d/);
  });

  it("exits 3 and rolls back when too many records fail; restore by hand works too", {
    timeout: 120_000,
  }, async () => {
    const spec = storeSpec("s3/store");
    const state = join(dir, "state3");
    expect(
      (
        await runCli([
          "migrate",
          fixture("legacy.jsonl"),
          "--to",
          spec,
          "--collection",
          "c",
          "--state-dir",
          state,
        ])
      ).code,
    ).toBe(0);
    const bad = await runCli([
      "migrate",
      fixture("invalid.jsonl"),
      "--to",
      spec,
      "--collection",
      "c",
      "--state-dir",
      state,
      "--json",
    ]);
    expect(bad.code).toBe(3);
    const report = JSON.parse(bad.stdout);
    expect(report.rolledBack).toBe(true);
    expect(report.target.countAfter).toBe(24);
    const backups = readdirSync(join(state, "backups"));
    expect(backups.length).toBe(1);
    // Add a stray point, then restore the backup by hand.
    expect(
      (await runCli(["migrate", fixture("go.json"), "--to", spec, "--collection", "c", "--state-dir", state]))
        .code,
    ).toBe(0);
    const restored = await runCli([
      "restore",
      join(state, "backups", backups[0] as string),
      "--to",
      spec,
      "--collection",
      "c",
    ]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/restored 24 points into c/);
  });

  it("--reembed re-vectorises the text with the local model into a 384-d collection the vectors did not fit", async () => {
    const spec = storeSpec("s4/store");
    const args = [
      "migrate",
      fixture("legacy.json"),
      "--to",
      spec,
      "--collection",
      "tasks",
      "--state-dir",
      join(dir, "state4"),
    ];
    const store = await openTestStore(join(dir, "s4"));
    await store.ensureCollection("tasks", { dims: 384, distance: "Cosine" });
    await store.close();
    const refused = await runCli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/8-d but collection tasks holds 384-d.*--reembed --text-field/);
    const result = await runCli([...args, "--reembed", "--text-field", "description", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.vectors).toMatchObject({ mode: "reembedded", textField: "description" });
    expect(report.vectors.model).toMatch(/MiniLM/);
    expect(report.counts).toMatchObject({ written: 24, verified: 24 });
    const reopened = await openTestStore(join(dir, "s4"));
    try {
      const [point] = await reopened.get("tasks", [1], { withVector: true });
      expect(point?.vector).toHaveLength(384);
    } finally {
      await reopened.close();
    }
  }, 60_000);

  it("--dry-run exits 3 on invalid records, 0 on clean ones, and creates no store", async () => {
    const spec = storeSpec("dry/store");
    const bad = await runCli([
      "migrate",
      fixture("invalid.jsonl"),
      "--to",
      spec,
      "--collection",
      "c",
      "--dry-run",
    ]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/dry run found problems: nothing was written/);
    expect(bad.stdout).toMatch(/#1 line 2 id 2: empty_vector: empty vector/);
    const good = await runCli([
      "migrate",
      fixture("records-p3.pkl"),
      "--to",
      spec,
      "--collection",
      "c",
      "--dry-run",
    ]);
    expect(good.code).toBe(0);
    expect(existsSync(join(dir, "dry"))).toBe(false);
  });

  it("prints --help with every option", async () => {
    const help = await runCli(["migrate", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of [
      "--dry-run",
      "--resume",
      "--reembed",
      "--text-field",
      "--id-map",
      "--on-duplicate",
      "--max-failure-rate",
      "--no-backup",
      "--report",
      "--batch-size",
      "--format",
    ]) {
      expect(help.stdout).toContain(flag);
    }
  });
});

describe("crash and resume", () => {
  const N = 3000;
  const entry = fileURLToPath(new URL("../../src/cli/run.ts", import.meta.url));
  const recordOf = (i: number) => ({
    id: `task-${i}`,
    vector: Array.from({ length: 16 }, (_, d) => Math.fround(Math.cos(i + d * 7))),
    metadata: { n: i, text: `record ${i}` },
    source: "crash.jsonl",
  });

  it("killed with SIGKILL at random points, --resume completes with no duplicate and no missing point", async () => {
    const file = join(dir, "crash.jsonl");
    await writeFile(file, `${Array.from({ length: N }, (_, i) => JSON.stringify(recordOf(i))).join("\n")}\n`);
    const spec = storeSpec("crash/store");
    const state = join(dir, "crash-state");
    const args = [
      "migrate",
      file,
      "--to",
      spec,
      "--collection",
      "c",
      "--batch-size",
      "25",
      "--state-dir",
      state,
      "--no-progress",
    ];
    let kills = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", entry, ...args, ...(attempt > 0 ? ["--resume"] : [])],
        {
          stdio: "ignore",
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // Kill once a checkpoint exists (the run is mid-way), after a random extra delay.
      const started = Date.now();
      let killed = false;
      while (Date.now() - started < 20_000) {
        const done = await Promise.race([
          exited.then(() => true),
          new Promise((r) => setTimeout(() => r(false), 20)),
        ]);
        if (done) break;
        const hasCheckpoint = (() => {
          try {
            return readdirSync(state).some((name) => name.endsWith(".checkpoint.json"));
          } catch {
            return false;
          }
        })();
        if (hasCheckpoint) {
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
          killed = child.kill("SIGKILL");
          break;
        }
      }
      const code = await exited;
      if (killed && code === null) kills++;
      else break;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    // Without --resume the interrupted run is not silently redone.
    const refused = await runCli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--resume/);
    const resumed = await runCli([...args, "--resume", "--json"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report.resumedFromIndex).toBeGreaterThan(0);
    expect(report.counts.skipped).toBe(report.resumedFromIndex);

    const store = await openTestStore(join(dir, "crash"));
    try {
      expect(await store.count("c")).toBe(N);
      const ids = Array.from({ length: N }, (_, i) => uuidV5ForKey(`task-${i}`));
      const points = await store.get("c", ids);
      expect(points).toHaveLength(N);
      points.forEach((p, i) => {
        expect(p.payload).toEqual({
          n: i,
          text: `record ${i}`,
          source: "crash.jsonl",
          original_id: `task-${i}`,
        });
      });
    } finally {
      await store.close();
    }
  }, 120_000);
});
