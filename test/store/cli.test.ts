/** `planvec store info|export|import`, run as a user would (child process, real exit codes). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedStore } from "../../src/store/embedded/store.js";
import { runCli } from "../helpers/cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-store-cli-"));
  const store = await EmbeddedStore.open(join(dir, "src"));
  await store.ensureCollection("plans", { dims: 3, distance: "Cosine", metadata: { modelId: "bge-small" } });
  await store.upsert("plans", [
    { id: 1, vector: [1, 0, 0], payload: { title: "a" } },
    { id: "5c56c793-69f3-4fbf-87e6-c4bf54c28c26", vector: [0, 1, 0], payload: { title: "b" } },
  ]);
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("planvec store", () => {
  it("exports a collection, imports it into another store, and describes both", async () => {
    const file = join(dir, "plans.jsonl.gz");
    const exp = await runCli(["store", "export", "plans", file, "--store", `embedded:${join(dir, "src")}`]);
    expect(exp.stderr).toBe("");
    expect(exp.code).toBe(0);
    expect(exp.stdout).toContain("exported 2 points of plans (3d Cosine)");

    const imp = await runCli([
      "store",
      "import",
      file,
      "--collection",
      "copy",
      "--json",
      "--store",
      `embedded:${join(dir, "dst")}`,
    ]);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ collection: "copy", points: 2, modelId: "bge-small" });

    const info = await runCli(["store", "info", "--json"], {
      env: { PLANVEC_STORE: `embedded:${join(dir, "dst")}` },
    });
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout).collections).toEqual([
      expect.objectContaining({
        name: "copy",
        dims: 3,
        distance: "Cosine",
        pointCount: 2,
        metadata: { modelId: "bge-small" },
      }),
    ]);
    const text = await runCli(["store", "info", "--store", `embedded:${join(dir, "src")}`]);
    expect(text.stdout).toMatch(/plans {2}3d Cosine {2}2 points/);
  }, 120_000);

  it("exits 2 on a bad store spec or input file, 3 on a missing collection", async () => {
    const spec = await runCli(["store", "info", "--store", "bogus:x"]);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toContain("invalid store spec");
    const missing = await runCli([
      "store",
      "import",
      join(dir, "nope.gz"),
      "--store",
      `embedded:${join(dir, "dst")}`,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
    const absent = await runCli([
      "store",
      "export",
      "nope",
      join(dir, "x.gz"),
      "--store",
      `embedded:${join(dir, "src")}`,
    ]);
    expect(absent.code).toBe(3);
    expect(absent.stderr).toContain("not_found");
  }, 120_000);
});
