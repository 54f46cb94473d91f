import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { packageRoot } from "../../src/embedding/model-files.js";
import { runCli } from "../helpers/cli.js";
import { norm } from "./helpers.js";

// Each case spawns the CLI (tsx + model load, 1-5 s on a busy 2-core machine).
vi.setConfig({ testTimeout: 90_000 });

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "planvec-embed-cli-"));
  env = { PLANVEC_CACHE_DIR: join(dir, "cache"), REDIS_URL: "", PLANVEC_MODEL_DIR: "", CONFIG_PATH: "" };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("planvec embed", () => {
  it("prints a 384-d normalised vector for a French task title, offline", async () => {
    const result = await runCli(["embed", "Implémenter le client Qdrant unifié"], { env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const [header, values, footer] = result.stdout.trim().split("\n");
    expect(header).toBe('# "Implémenter le client Qdrant unifié": 384 dims, norm 1.000000');
    const vector = JSON.parse(values ?? "[]") as number[];
    expect(vector).toHaveLength(384);
    expect(norm(vector)).toBeCloseTo(1, 5);
    expect(footer).toMatch(
      /^# all-MiniLM-L6-v2\/int8@[0-9a-f]{8}, \d+ thread\(s\): load [\d.]+ ms, embed [\d.]+ ms/,
    );
  });

  it("--json gives model, dims, timing, cache counters and one vector per text", async () => {
    const texts = ["Créer le schéma", "Write the tests"];
    const first = await runCli(["embed", "--json", ...texts], { env });
    expect(first.code).toBe(0);
    const parsed = JSON.parse(first.stdout);
    expect(parsed).toMatchObject({
      model: expect.stringMatching(/^all-MiniLM-L6-v2\/int8@[0-9a-f]{8}$/),
      dims: 384,
      truncated: 0,
    });
    expect(parsed.vectors.map((v: { text: string }) => v.text)).toEqual(texts);
    expect(parsed.vectors[1].vector).toHaveLength(384);
    expect(parsed.timing.totalMs).toBeGreaterThan(0);
    // The second process finds both in the disk cache and computes nothing.
    const second = JSON.parse((await runCli(["embed", "--json", ...texts], { env })).stdout);
    expect(second.cache).toMatchObject({ l3: { hits: 2, misses: 0 }, computed: 0 });
    expect(second.vectors).toEqual(parsed.vectors);
    const uncached = JSON.parse((await runCli(["embed", "--json", "--no-cache", ...texts], { env })).stdout);
    expect(uncached.cache).toBeNull();
  });

  it("exits 2 with a clear message for an empty text or a bad flag", async () => {
    const empty = await runCli(["embed", "ok", "  "], { env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/text #1 is empty or only whitespace/);
    const threads = await runCli(["embed", "--threads", "zero", "x"], { env });
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/--threads must be a positive integer/);
    const missing = await runCli(["embed", "x"], {
      env: { ...env, PLANVEC_MODEL_DIR: join(dir, "nowhere") },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/model directory .*nowhere does not exist/);
  });
});

describe("planvec model info", () => {
  it("lists the shipped files with sha256 checked against SHA256SUMS, dims, runtime and threads", async () => {
    const result = await runCli(["model", "info", "--json", "--threads", "1"], { env });
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info).toMatchObject({
      modelId: expect.stringMatching(/^all-MiniLM-L6-v2\/int8@[0-9a-f]{8}$/),
      dims: 384,
      maxTokens: 256,
      onnx: "onnx/model_quantized.onnx",
      runtime: { onnxruntimeNode: "1.30.0" },
      threads: { intraOp: 1, workers: 1 },
      missing: [],
    });
    const paths = info.files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["onnx/model_quantized.onnx", "onnx/model.onnx", "tokenizer.json", "LICENSE"]),
    );
    expect(info.files.every((f: { check: string }) => f.check === "ok")).toBe(true);
    const text = await runCli(["model", "info", "--variant", "fp32"], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/graph\s+onnx\/model\.onnx \(fp32\)/);
  });

  it("reports a damaged model directory and exits 3", async () => {
    const copy = join(dir, "damaged");
    cpSync(join(packageRoot(), "models", "all-MiniLM-L6-v2"), copy, {
      recursive: true,
      filter: (src) => !src.endsWith("model.onnx"),
    });
    appendFileSync(join(copy, "README.md"), "\nedited\n");
    const result = await runCli(["model", "info"], { env: { ...env, PLANVEC_MODEL_DIR: copy } });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/mismatch .* README\.md/);
    expect(result.stdout).toMatch(/missing\s+onnx\/model\.onnx/);
    expect(result.stdout).toMatch(/2 file\(s\) differ from SHA256SUMS/);
  });
});
