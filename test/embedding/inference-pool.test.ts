import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder, type LocalEmbedder } from "../../src/embedding/embedder.js";
import { InferencePool } from "../../src/embedding/inference-pool.js";
import { packageRoot } from "../../src/embedding/model-files.js";
import { runScript } from "../helpers/script.js";
import { cosine } from "./helpers.js";

const texts = Array.from(
  { length: 80 },
  (_, i) =>
    `${i % 3 === 0 ? "Implémenter" : i % 3 === 1 ? "Write" : "Vérifier"} l'étape ${i} ${"du plan de migration ".repeat(i % 7)}`,
);

describe("embedding with several worker sessions", () => {
  let pooled: LocalEmbedder;
  let single: LocalEmbedder;
  beforeAll(async () => {
    pooled = await createEmbedder({ threads: 2, workers: 2, cache: false, env: {}, onWarning: () => {} });
    single = await createEmbedder({ threads: 1, workers: 1, cache: false, env: {}, onWarning: () => {} });
  });
  afterAll(async () => {
    await pooled.close();
    await single.close();
  });

  it("gives the vectors one session gives, in input order", async () => {
    expect(pooled.workers).toBe(2);
    const [a, b] = await Promise.all([pooled.embed(texts), single.embed(texts)]);
    expect(a).toHaveLength(texts.length);
    a.forEach((vector, i) => {
      expect(vector.length).toBe(384);
      expect(cosine(vector, b[i] ?? [])).toBeGreaterThan(0.99999);
    });
  });

  it("keeps each text's vector whatever batch it lands in (per-token quantisation)", async () => {
    const alone = await Promise.all(texts.slice(0, 6).map((t) => pooled.embed([t])));
    const together = await pooled.embed(texts);
    alone.forEach(([vector], i) => {
      expect(cosine(vector ?? [], together[i] ?? [])).toBeGreaterThan(0.99999);
    });
  });

  it("defaults to one worker per thread, and PLANVEC_EMBED_WORKERS must be a positive integer", async () => {
    const embedder = await createEmbedder({ threads: 2, cache: false, env: {} });
    expect(embedder.workers).toBe(2);
    await embedder.close();
    await expect(createEmbedder({ cache: false, env: { PLANVEC_EMBED_WORKERS: "0" } })).rejects.toThrow(
      /PLANVEC_EMBED_WORKERS must be a positive integer/,
    );
  });

  it("rejects calls after close()", async () => {
    const embedder = await createEmbedder({ threads: 2, workers: 2, cache: false, env: {} });
    await embedder.close();
    await expect(embedder.embed(["x"])).rejects.toMatchObject({ code: "closed" });
  });
});

describe("InferencePool", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "planvec-pool-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails to start with a clear error when the graph cannot be loaded, leaving no worker behind", async () => {
    const bad = join(dir, "not-a-model.onnx");
    writeFileSync(bad, "this is not ONNX");
    // Several rounds: stopping a worker while another still loads in native code used to
    // abort the process about once in ten.
    for (let round = 0; round < 15; round++) {
      await expect(
        InferencePool.create({ onnxPath: bad, workers: 2, threadsPerWorker: 1, spin: false }),
      ).rejects.toMatchObject({
        name: "EmbeddingError",
        code: "model_invalid",
        message: expect.stringContaining("not-a-model.onnx"),
      });
    }
  });

  it("does not keep a process alive once its work is done, even without close()", () => {
    const embedder = pathToFileURL(join(packageRoot(), "src", "embedding", "embedder.ts")).href;
    const started = Date.now();
    const run = runScript(
      dir,
      "forgets-close.mts",
      `import { createEmbedder } from ${JSON.stringify(embedder)};
const e = await createEmbedder({ threads: 2, workers: 2, cache: false, env: {} });
const [v] = await e.embed(["Implémenter le client Qdrant unifié"]);
console.log(v.length);
`,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("384");
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
