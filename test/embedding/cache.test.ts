import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CachedEmbedder, textKey } from "../../src/embedding/cache/cached-embedder.js";
import { DiskCache } from "../../src/embedding/cache/disk.js";
import { MemoryCache } from "../../src/embedding/cache/memory.js";
import { createEmbedder, type Embedder } from "../../src/embedding/embedder.js";
import { defaultModelDir, resolveModel } from "../../src/embedding/model-files.js";
import { OnnxEmbedder } from "../../src/embedding/onnx-embedder.js";

/** Counts what reaches the real model, to prove cache hits really skip it. */
class CountingEmbedder implements Embedder {
  readonly calls: string[][] = [];
  constructor(private readonly inner: Embedder) {}
  get modelId() {
    return this.inner.modelId;
  }
  get dims() {
    return this.inner.dims;
  }
  get maxTokens() {
    return this.inner.maxTokens;
  }
  async embed(texts: string[]) {
    this.calls.push(texts);
    return this.inner.embed(texts);
  }
  async close() {}
}

let model: OnnxEmbedder;
let dir: string;
beforeAll(async () => {
  model = await OnnxEmbedder.load(resolveModel(defaultModelDir({})), { onWarning: () => {} });
  dir = mkdtempSync(join(tmpdir(), "planvec-cache-"));
});
afterAll(async () => {
  await model.close();
  rmSync(dir, { recursive: true, force: true });
});

function cached(diskPath: string | null, memoryBytes?: number) {
  const counting = new CountingEmbedder(model);
  const levels = [new MemoryCache(memoryBytes)];
  const disk = diskPath
    ? new DiskCache({ path: diskPath, modelId: model.modelId, dims: 384, onWarning: () => {} })
    : null;
  return { counting, disk, embedder: new CachedEmbedder(counting, disk ? [...levels, disk] : levels) };
}

describe("embedding cache", () => {
  it("keys by sha256 of the normalised text", () => {
    expect(textKey("  a   b ")).toBe(textKey("a b"));
    expect(textKey("a b")).not.toBe(textKey("a c"));
    expect(textKey("é")).toBe(textKey("e\u0301"));
    expect(textKey("x")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("L1 answers repeated texts without calling the model, with identical vectors", async () => {
    const { counting, embedder } = cached(null);
    const first = await embedder.embed(["Créer le schéma SQLite", "Ajouter le cache Redis"]);
    const second = await embedder.embed(["Ajouter le cache Redis", "Créer le schéma SQLite"]);
    expect(counting.calls).toEqual([["Créer le schéma SQLite", "Ajouter le cache Redis"]]);
    expect(Array.from(second[0] ?? [])).toEqual(Array.from(first[1] ?? []));
    expect(embedder.stats()).toEqual({ l1: { hits: 2, misses: 2 }, l2: null, l3: null, computed: 2 });
  });

  it("embeds duplicate texts of one call once", async () => {
    const { counting, embedder } = cached(null);
    const vectors = await embedder.embed(["même texte", "même  texte", "autre"]);
    expect(counting.calls).toEqual([["même texte", "autre"]]);
    expect(Array.from(vectors[0] ?? [])).toEqual(Array.from(vectors[1] ?? []));
  });

  it("hands out copies: mutating a returned vector does not corrupt the cache", async () => {
    const { embedder } = cached(null);
    const [a] = await embedder.embed(["copie"]);
    a?.fill(0);
    const [b] = await embedder.embed(["copie"]);
    expect(b?.some((x) => x !== 0)).toBe(true);
  });

  it("L1 is bounded by bytes and evicts the least recently used", async () => {
    const memory = new MemoryCache(3 * (384 * 4 + 128));
    await memory.setMany(["a", "b", "c", "d"].map((k) => [k.repeat(64), new Float32Array(384)] as const));
    expect(memory.size).toBe(3);
    expect((await memory.getMany(["a".repeat(64)]))[0]).toBeUndefined();
    expect((await memory.getMany(["d".repeat(64)]))[0]).toBeDefined();
  });

  it("L3 persists across processes' lifetimes: a new cache on the same file never re-embeds", async () => {
    const path = join(dir, "persist.sqlite");
    const texts = ["Indexer tous les plans", "Supprimer les vecteurs orphelins", "Mesurer la mémoire"];
    const first = cached(path);
    const original = await first.embedder.embed(texts);
    await first.disk?.close();

    const second = cached(path);
    const again = await second.embedder.embed(texts);
    expect(second.counting.calls).toEqual([]);
    expect(second.embedder.stats().l3).toEqual({ hits: 3, misses: 0 });
    expect(again.map((v) => Array.from(v))).toEqual(original.map((v) => Array.from(v)));
    // L3 hits were promoted to L1.
    await second.embedder.embed(texts);
    expect(second.embedder.stats().l1.hits).toBe(3);
    expect(second.disk?.count()).toBe(3);
    await second.disk?.close();
  });

  it("keeps models apart in one disk file", async () => {
    const path = join(dir, "models.sqlite");
    const a = new DiskCache({ path, modelId: "model-a", dims: 384, onWarning: () => {} });
    const b = new DiskCache({ path, modelId: "model-b", dims: 384, onWarning: () => {} });
    const key = textKey("partagé");
    await a.setMany([[key, new Float32Array(384).fill(0.5)]]);
    expect((await a.getMany([key]))[0]?.[0]).toBe(0.5);
    expect((await b.getMany([key]))[0]).toBeUndefined();
    await a.close();
    await b.close();
  });

  it("a file that is not SQLite fails clearly at open, naming it", () => {
    const path = join(dir, "garbage.sqlite");
    writeFileSync(path, "this is not a database ".repeat(100));
    expect(() => new DiskCache({ path, modelId: "m", dims: 384, onWarning: () => {} })).toThrow(
      /cannot open the disk cache .*garbage\.sqlite/,
    );
  });

  it("a disk cache locked by another process drops the write with one warning, and still embeds", async () => {
    const path = join(dir, "locked.sqlite");
    const warnings: string[] = [];
    const disk = new DiskCache({
      path,
      modelId: model.modelId,
      dims: 384,
      busyTimeoutMs: 50,
      onWarning: (m) => warnings.push(m),
    });
    const other = new Database(path);
    other.exec("BEGIN EXCLUSIVE");
    try {
      const embedder = new CachedEmbedder(new CountingEmbedder(model), [new MemoryCache(), disk]);
      const vectors = await embedder.embed(["un", "deux"]);
      expect(vectors).toHaveLength(2);
      await embedder.embed(["trois"]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/cannot (read|write) the disk cache .*locked\.sqlite/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // Once the lock is gone, writes land again.
    await disk.setMany([[textKey("quatre"), new Float32Array(384).fill(0.25)]]);
    expect(disk.count()).toBe(1);
    await disk.close();
  });

  it("createEmbedder wires L1 and L3 by default under PLANVEC_CACHE_DIR", async () => {
    const cacheDir = join(dir, "default");
    const make = () => createEmbedder({ env: { PLANVEC_CACHE_DIR: cacheDir }, onWarning: () => {} });
    const first = await make();
    await first.embed(["Rédiger le guide de migration"]);
    expect(first.cacheStats()).toMatchObject({ l2: null, l3: { hits: 0, misses: 1 }, computed: 1 });
    await first.close();
    const second = await make();
    await second.embed(["Rédiger le guide de migration"]);
    expect(second.cacheStats()).toMatchObject({
      l1: { hits: 0, misses: 1 },
      l3: { hits: 1, misses: 0 },
      computed: 0,
    });
    await second.close();
  });
});
