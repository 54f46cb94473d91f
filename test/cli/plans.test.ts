import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const V57 = "examples/plans/plan-dev-v57-ecosystem-consolidation-go-native.md";
const V33 = "examples/plans/plan-dev-v33-mcp-manager.md";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-cli-"));
  await writeFile(
    join(dir, "a.md"),
    "# A\n## Phase 1\nProgression: 100%\n- [x] **1.1** done\n- [ ] **1.2** todo\n",
  );
  await writeFile(join(dir, "notes.txt"), "- [ ] not markdown\n");
});

describe("planvec parse", () => {
  it("prints the documented JSON shape for each file of a directory", async () => {
    const result = await runCli(["parse", dir, "--json"]);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed).toEqual([
      {
        file: join(dir, "a.md"),
        stats: { total: 2, done: 1, pending: 1 },
        tasks: [
          {
            line: 4,
            status: "done",
            id: "1.1",
            title: "done",
            depth: 0,
            parentLine: null,
            section: ["A", "Phase 1"],
          },
          {
            line: 5,
            status: "pending",
            id: "1.2",
            title: "todo",
            depth: 0,
            parentLine: null,
            section: ["A", "Phase 1"],
          },
        ],
        declaredProgress: [{ line: 3, section: ["A", "Phase 1"], percent: 100 }],
        warnings: [],
      },
    ]);
  });

  it("follows --fences lenient, and the config file's markdown.fences", async () => {
    const strict = JSON.parse((await runCli(["parse", V33, "--json"])).stdout)[0];
    expect(strict.stats.total).toBe(0);
    expect(strict.warnings[0]).toMatchObject({ code: "broken-fence" });
    const lenient = JSON.parse((await runCli(["parse", V33, "--json", "--fences", "lenient"])).stdout)[0];
    expect(lenient.stats.total).toBe(333);
    const config = join(dir, "planvec.yaml");
    await writeFile(config, "markdown:\n  fences: lenient\n");
    const viaConfig = JSON.parse(
      (await runCli(["parse", V33, "--json"], { env: { CONFIG_PATH: config } })).stdout,
    )[0];
    expect(viaConfig.stats.total).toBe(333);
  });

  it("prints a readable summary with file:line warnings", async () => {
    const result = await runCli(["parse", V33]);
    expect(result.stdout).toContain(`${V33}: 0 tasks (0 done, 0 pending)`);
    expect(result.stdout).toMatch(new RegExp(`${V33.replace(/\./g, "\\.")}:\\d+: broken-fence`));
  });

  it("exits 2 with a clear message on a missing path or a bad option", async () => {
    const missing = await runCli(["parse", "no/such/plan.md"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file or directory: no/such/plan.md");
    const badOption = await runCli(["parse", V33, "--fences", "loose"]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("loose");
    const badConfig = join(dir, "bad.yaml");
    await writeFile(badConfig, "markdown:\n  fences: sometimes\n");
    const configError = await runCli(["parse", V33], { env: { CONFIG_PATH: badConfig } });
    expect(configError.code).toBe(2);
    expect(configError.stderr).toContain(
      `${badConfig}: markdown.fences is "sometimes"; expected one of: strict, lenient`,
    );
  });

  it("has --help on every command", async () => {
    for (const command of ["parse", "progress", "lint"]) {
      const result = await runCli([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: planvec ${command}`);
    }
  });
});

describe("planvec progress", () => {
  it("flags the false 100 % claim of plan v57 and exits 1 with --strict", async () => {
    const result = await runCli(["progress", V57, "--strict"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("⚠ declared 100%, computed 64.3%");
    expect(result.stdout).toMatch(/Phase 4: Optimisation Performance et Concurrence +█+░+ +64% +18\/28/);
  });

  it("prints per-phase JSON", async () => {
    const [report] = JSON.parse((await runCli(["progress", V57, "--json"])).stdout);
    const phase4 = report.phases.find((p: { title: string }) => p.title.startsWith("Phase 4"));
    expect(phase4).toMatchObject({ done: 18, total: 28, declared: { declared: 100, mismatch: true } });
    expect(report).toMatchObject({ done: 50, total: 161 });
  });

  it("says when a broken fence hides tasks", async () => {
    const result = await runCli(["progress", V33]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/:\d+: 333 task-like line\(s\) are inside a code block/);
  });
});

describe("planvec lint", () => {
  it("reports v33's broken fence with the count it swallows and what lenient changes", async () => {
    const result = await runCli(["lint", V33, "--json"]);
    expect(result.code).toBe(0);
    const [report] = JSON.parse(result.stdout);
    const codes = report.findings.map((f: { code: string }) => f.code);
    expect(codes).toContain("broken-fence");
    expect(report.findings.find((f: { code: string }) => f.code === "broken-fence").message).toContain(
      "swallows 333 task-like line(s)",
    );
    expect(
      report.findings.find((f: { code: string }) => f.code === "fences-lenient-differs").message,
    ).toContain("renders 0 tasks; with --fences lenient it would be 333");
  });

  it("exits 1 with --strict when there are warnings, 0 on a clean plan", async () => {
    expect((await runCli(["lint", V57, "--strict"])).code).toBe(1);
    const clean = join(dir, "clean.md");
    await writeFile(clean, "# Clean\n- [x] a\n");
    const result = await runCli(["lint", clean, "--strict"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("1 file(s): 0 warning(s), 0 note(s)");
  });
});
