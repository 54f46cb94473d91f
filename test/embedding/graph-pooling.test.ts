import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelDir, resolveModel } from "../../src/embedding/model-files.js";
import { OnnxEmbedder } from "../../src/embedding/onnx-embedder.js";
import { cosine, norm } from "./helpers.js";

// Lengths from 3 to 300+ word pieces, so batches are padded and one text is cut at 256.
const texts = [
  "Vérifier",
  "Implémenter le client Qdrant unifié",
  "Write the migration guide for the vector store and check every collection twice",
  `Plan de migration: ${"déplacer les vecteurs Python vers le magasin embarqué, ".repeat(8)}`,
  `Long section: ${"the indexer prepares files ahead of the commit and the workers stay busy. ".repeat(30)}`,
];

describe("pooling inside the int8 graph (sentence_embedding output)", () => {
  const embedders: Record<string, OnnxEmbedder> = {};
  beforeAll(async () => {
    const spec = resolveModel(defaultModelDir({}), "int8");
    const quiet = { onWarning: () => {} };
    embedders.graphLocal = await OnnxEmbedder.load(spec, { threads: 1, workers: 1, ...quiet });
    embedders.jsLocal = await OnnxEmbedder.load(spec, {
      threads: 1,
      workers: 1,
      graphPooling: false,
      ...quiet,
    });
    embedders.graphPool = await OnnxEmbedder.load(spec, { threads: 2, workers: 2, ...quiet });
    embedders.jsPool = await OnnxEmbedder.load(spec, {
      threads: 2,
      workers: 2,
      graphPooling: false,
      ...quiet,
    });
  });
  afterAll(async () => {
    await Promise.all(Object.values(embedders).map((e) => e.close()));
  });

  it("is read when the graph has it, on the calling thread and in worker sessions", () => {
    expect(embedders.graphLocal?.pooledInGraph).toBe(true);
    expect(embedders.graphPool?.pooledInGraph).toBe(true);
    expect(embedders.jsLocal?.pooledInGraph).toBe(false);
    expect(embedders.jsPool?.pooledInGraph).toBe(false);
  });

  it("gives the vectors that mean pooling of last_hidden_state in JavaScript gives", async () => {
    const [graph, js, graphPool, jsPool] = await Promise.all(
      ["graphLocal", "jsLocal", "graphPool", "jsPool"].map((name) => embedders[name]?.embed(texts)),
    );
    texts.forEach((_, i) => {
      const reference = js?.[i] ?? new Float32Array();
      for (const vectors of [graph, graphPool, jsPool]) {
        const vector = vectors?.[i] ?? new Float32Array();
        expect(vector.length).toBe(384);
        expect(Math.abs(norm(vector) - 1)).toBeLessThan(1e-5);
        expect(cosine(vector, reference)).toBeGreaterThan(0.99999);
      }
    });
  });

  it("keeps a text's vector whatever its batch-mates (the mask excludes padding)", async () => {
    const together = (await embedders.graphLocal?.embed(texts)) ?? [];
    for (const [i, text] of texts.entries()) {
      const [alone] = (await embedders.graphLocal?.embed([text])) ?? [];
      expect(cosine(alone ?? [], together[i] ?? [])).toBeGreaterThan(0.99999);
    }
  });
});

describe("a graph without a pooled output (the fp32 export)", () => {
  it("is pooled here from last_hidden_state", async () => {
    const spec = resolveModel(defaultModelDir({}), "fp32");
    const embedder = await OnnxEmbedder.load(spec, { threads: 1, workers: 1, onWarning: () => {} });
    try {
      expect(embedder.pooledInGraph).toBe(false);
      const [vector] = await embedder.embed([texts[1] as string]);
      expect(Math.abs(norm(vector ?? []) - 1)).toBeLessThan(1e-5);
    } finally {
      await embedder.close();
    }
  });
});
