import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder, type LocalEmbedder } from "../../src/embedding/embedder.js";
import { EmbeddingError } from "../../src/embedding/errors.js";
import { defaultModelDir, packageRoot, resolveModel } from "../../src/embedding/model-files.js";
import { OnnxEmbedder } from "../../src/embedding/onnx-embedder.js";
import { cosine, norm } from "./helpers.js";

const shipped = join(packageRoot(), "models", "all-MiniLM-L6-v2");

describe("local ONNX embedder", () => {
  let embedder: LocalEmbedder;
  const warnings: string[] = [];
  beforeAll(async () => {
    embedder = await createEmbedder({ cache: false, env: {}, onWarning: (m) => warnings.push(m) });
  });
  afterAll(async () => {
    await embedder.close();
  });

  it("describes the shipped model", () => {
    expect(embedder.modelId).toMatch(/^all-MiniLM-L6-v2\/int8@[0-9a-f]{8}$/);
    expect(embedder.dims).toBe(384);
    expect(embedder.maxTokens).toBe(256);
    expect(embedder.spec.dir).toBe(shipped);
  });

  it("returns one L2-normalised 384-d vector per text, in input order", async () => {
    const texts = [
      "Implémenter le client Qdrant unifié",
      "x",
      "Write the migration guide for the vector store",
    ];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(384);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
    // Order is the caller's even though batches are sorted by length internally.
    const [alone] = await embedder.embed([texts[2] ?? ""]);
    expect(cosine(alone ?? [], vectors[2] ?? [])).toBeGreaterThan(0.99999);
  });

  it("is deterministic: the same call gives bit-identical vectors", async () => {
    const texts = ["Vérifier l'existence du fichier", "Valider l'encodage", "Définir le type de retour"];
    const first = await embedder.embed(texts);
    const second = await embedder.embed(texts);
    expect(second.map((v) => Array.from(v))).toEqual(first.map((v) => Array.from(v)));
  });

  it("ranks related texts above unrelated ones (the vectors are semantic, not random)", async () => {
    const [query, close, far] = await embedder.embed([
      "configure the Redis cache",
      "set up caching with Redis",
      "the cat sleeps on the sofa",
    ]);
    expect(cosine(query ?? [], close ?? [])).toBeGreaterThan(cosine(query ?? [], far ?? []) + 0.3);
  });

  it("treats whitespace and Unicode normal forms as the same text", async () => {
    const [a, b] = await embedder.embed(["  Créer   l'index\tvectoriel ", "Cre\u0301er l'index vectoriel"]);
    expect(Array.from(a ?? [])).toEqual(Array.from(b ?? []));
  });

  it("embeds a text repeated within one call once, and gives each repeat its own array", async () => {
    const spec = embedder.spec;
    const onnx = await OnnxEmbedder.load(spec, { threads: 1, workers: 1, onWarning: () => {} });
    try {
      const texts = ["Valider l'encodage", "Créer l'index", "Valider  l'encodage", "Valider l'encodage"];
      const vectors = await onnx.embed(texts);
      // One inference for the two distinct texts (sorted into one batch), not four rows.
      expect(onnx.stats).toMatchObject({ texts: 4, batches: 1 });
      const [first, , second, third] = vectors;
      expect(Array.from(second ?? [])).toEqual(Array.from(first ?? []));
      expect(Array.from(third ?? [])).toEqual(Array.from(first ?? []));
      expect(second).not.toBe(first);
      (first as Float32Array)[0] = 42;
      expect(third?.[0]).not.toBe(42);
      const [alone] = await onnx.embed(["Créer l'index"]);
      expect(cosine(alone ?? [], vectors[1] ?? [])).toBeGreaterThan(0.99999);
    } finally {
      await onnx.close();
    }
  });

  it("rejects empty and whitespace-only texts with a clear error naming the position", async () => {
    await expect(embedder.embed(["ok", "   "])).rejects.toMatchObject({
      name: "EmbeddingError",
      code: "empty_text",
      message: expect.stringContaining("text #1"),
    });
    await expect(embedder.embed([42 as unknown as string])).rejects.toBeInstanceOf(EmbeddingError);
  });

  it("returns nothing for no texts", async () => {
    expect(await embedder.embed([])).toEqual([]);
  });

  it("cuts texts longer than 256 word pieces and counts them in one warning per call", async () => {
    const before = embedder.truncatedCount();
    warnings.length = 0;
    const long = "planification ".repeat(400);
    const [cut, prefix] = await embedder.embed([long, `${long} avec une fin différente`]);
    expect(embedder.truncatedCount() - before).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("2 of 2 text(s) cut to the model's 256 word pieces");
    // Both are cut inside the repeated prefix, so the endings do not matter.
    expect(cosine(cut ?? [], prefix ?? [])).toBeGreaterThan(0.99999);
  });

  it("serves concurrent calls correctly", async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `tâche numéro ${i} du plan`);
    const expected = await embedder.embed(texts);
    const parallel = await Promise.all(texts.map((t) => embedder.embed([t])));
    parallel.forEach(([vector], i) => {
      expect(cosine(vector ?? [], expected[i] ?? [])).toBeGreaterThan(0.99999);
    });
  });
});

describe("model location and configuration", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "planvec-model-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("defaults to the repository's models/all-MiniLM-L6-v2 and honours PLANVEC_MODEL_DIR", () => {
    expect(defaultModelDir({})).toBe(shipped);
    expect(defaultModelDir({ PLANVEC_MODEL_DIR: "/somewhere/else" })).toBe("/somewhere/else");
  });

  it("loads a copied model directory named by PLANVEC_MODEL_DIR, with its own model id", async () => {
    const copy = join(dir, "my-minilm");
    cpSync(shipped, copy, { recursive: true, filter: (src) => !src.endsWith("model.onnx") });
    const embedder = await createEmbedder({ cache: false, env: { PLANVEC_MODEL_DIR: copy } });
    try {
      // The copy's SHA256SUMS names the graph: its digest pins the id to these exact weights.
      const digest = /^([0-9a-f]{8})[0-9a-f]* {2}onnx\/model_quantized\.onnx$/m.exec(
        readFileSync(join(copy, "SHA256SUMS"), "utf8"),
      )?.[1];
      expect(embedder.modelId).toBe(`my-minilm/int8@${digest}`);
      expect((await embedder.embed(["bonjour"]))[0]?.length).toBe(384);
    } finally {
      await embedder.close();
    }
    // Without SHA256SUMS the id is the directory and variant alone.
    rmSync(join(copy, "SHA256SUMS"));
    expect(resolveModel(copy, "int8").modelId).toBe("my-minilm/int8");
    // fp32 was not copied: the error names what is missing.
    expect(() => resolveModel(copy, "fp32")).toThrow(/no fp32 ONNX graph in .*my-minilm/);
  });

  it("fails with model_not_found for a missing directory", async () => {
    await expect(
      createEmbedder({ cache: false, env: { PLANVEC_MODEL_DIR: join(dir, "nope") } }),
    ).rejects.toMatchObject({
      code: "model_not_found",
      message: expect.stringContaining("PLANVEC_MODEL_DIR"),
    });
  });

  it("reads the embedding section of the config file", async () => {
    const config = join(dir, "planvec.yaml");
    writeFileSync(config, "embedding:\n  variant: fp32\n  threads: 1\n  cache: false\n");
    const embedder = await createEmbedder({ env: { CONFIG_PATH: config } });
    try {
      expect(embedder.modelId).toMatch(/^all-MiniLM-L6-v2\/fp32@[0-9a-f]{8}$/);
      expect(embedder.threads).toBe(1);
      expect(embedder.cacheStats()).toBeNull();
    } finally {
      await embedder.close();
    }
  });

  it("rejects invalid configuration values naming the field", async () => {
    const config = join(dir, "bad.yaml");
    writeFileSync(config, "embedding:\n  variant: int4\n");
    await expect(createEmbedder({ env: { CONFIG_PATH: config } })).rejects.toThrow(
      /embedding\.variant must be int8 or fp32/,
    );
    await expect(createEmbedder({ cache: false, env: { PLANVEC_EMBED_THREADS: "0" } })).rejects.toThrow(
      /PLANVEC_EMBED_THREADS must be a positive integer/,
    );
  });

  it("rejects embed() after close()", async () => {
    const embedder = await createEmbedder({ cache: false, env: {} });
    await embedder.close();
    await expect(embedder.embed(["après"])).rejects.toMatchObject({ code: "closed" });
  });
});
