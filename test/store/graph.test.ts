import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HnswFormatError, HnswGraph } from "../../src/store/embedded/graph.js";
import { VectorSlab } from "../../src/store/embedded/slab.js";

interface Hnswlib {
  initIndex(max: number, m: number, efC: number, seed: number): void;
  addPoint(v: number[], label: number): void;
  markDelete(label: number): void;
  setEf(ef: number): void;
  searchKnn(q: number[], k: number): { neighbors: number[] };
  writeIndex(file: string): Promise<boolean>;
}
const { HierarchicalNSW } = createRequire(import.meta.url)("hnswlib-node") as {
  HierarchicalNSW: new (space: string, dims: number) => Hnswlib;
};

const DIMS = 24;
const N = 3000;
const dir = mkdtempSync(join(tmpdir(), "planvec-graph-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function unit(seed: number): number[] {
  let s = seed * 2654435761 || 1;
  const v = Array.from({ length: DIMS }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

// Labels are not internal ids: shift them so a mix-up shows.
const label = (i: number) => i * 3 + 1;
const vectors = Array.from({ length: N }, (_, i) => unit(i + 1));

async function build(file: string, deleted: number[] = []): Promise<Hnswlib> {
  const index = new HierarchicalNSW("ip", DIMS);
  index.initIndex(N, 16, 100, 7);
  vectors.forEach((v, i) => {
    index.addPoint(v, label(i));
  });
  for (const i of deleted) index.markDelete(label(i));
  await index.writeIndex(file);
  return index;
}

function slabOf(): VectorSlab {
  const slab = new VectorSlab(DIMS);
  slab.ensureRows(label(N - 1) + 1);
  vectors.forEach((v, i) => {
    slab.set(label(i), v);
  });
  return slab;
}

function exactTop(q: number[], k: number, keep: (i: number) => boolean): number[] {
  return vectors
    .map((v, i) => ({ i, s: v.reduce((a, x, d) => a + x * (q[d] as number), 0) }))
    .filter(({ i }) => keep(i))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map(({ i }) => label(i));
}

describe("HnswGraph (hnswlib index files served over the slab)", () => {
  it("reads hnswlib's file and finds what hnswlib finds, with and without a filter", async () => {
    const file = join(dir, "a.hnsw");
    const native = await build(file);
    const graph = HnswGraph.read(file);
    expect(graph.count).toBe(N);
    expect(graph.labels().sort((a, b) => a - b)).toEqual(vectors.map((_, i) => label(i)));
    const slab = slabOf();
    const servable = new Uint8Array(slab.rowCapacity);
    for (let i = 0; i < N; i++) servable[label(i)] = 1;
    const mask = new Uint8Array(slab.rowCapacity);
    for (let i = 0; i < N; i += 4) mask[label(i)] = 1;
    native.setEf(64);
    let same = 0;
    let exact = 0;
    let exactFiltered = 0;
    const queries = Array.from({ length: 40 }, (_, i) => unit(10_000 + i));
    for (const q of queries) {
      slab.setQuery(Float32Array.from(q));
      const ours = graph.search(slab, "dot", 10, 64, servable, null).map((h) => h.slot);
      expect(ours).toHaveLength(10);
      const theirs = new Set(native.searchKnn(q, 10).neighbors);
      same += ours.filter((l) => theirs.has(l)).length;
      const truth = new Set(exactTop(q, 10, () => true));
      exact += ours.filter((l) => truth.has(l)).length;
      const filtered = graph.search(slab, "dot", 10, 64, servable, mask);
      for (const h of filtered) expect(mask[h.slot]).toBe(1);
      const truthF = new Set(exactTop(q, 10, (i) => i % 4 === 0));
      exactFiltered += filtered.filter((h) => truthF.has(h.slot)).length;
    }
    expect(same / 400).toBeGreaterThanOrEqual(0.97);
    expect(exact / 400).toBeGreaterThanOrEqual(0.95);
    expect(exactFiltered / 400).toBeGreaterThanOrEqual(0.95);
  });

  it("never returns points hnswlib marked deleted or the store no longer serves", async () => {
    const file = join(dir, "b.hnsw");
    await build(file, [0, 1, 2]);
    const graph = HnswGraph.read(file);
    expect(graph.labels()).not.toContain(label(0));
    const slab = slabOf();
    const servable = new Uint8Array(slab.rowCapacity);
    for (let i = 0; i < N; i++) servable[label(i)] = 1;
    servable[label(3)] = 0;
    for (const i of [0, 1, 2, 3]) {
      slab.setQuery(Float32Array.from(vectors[i] as number[]));
      const hits = graph.search(slab, "dot", 5, 64, servable, null).map((h) => h.slot);
      expect(hits).not.toContain(label(i));
    }
    slab.setQuery(Float32Array.from(vectors[4] as number[]));
    expect(graph.search(slab, "dot", 1, 64, servable, null)[0]?.slot).toBe(label(4));
  });

  it("rejects a truncated or foreign file with HnswFormatError", async () => {
    const file = join(dir, "c.hnsw");
    await build(file);
    const bytes = readFileSync(file);
    writeFileSync(join(dir, "cut.hnsw"), bytes.subarray(0, bytes.length - 100));
    expect(() => HnswGraph.read(join(dir, "cut.hnsw"))).toThrow(HnswFormatError);
    writeFileSync(join(dir, "junk.hnsw"), Buffer.alloc(4096, 7));
    expect(() => HnswGraph.read(join(dir, "junk.hnsw"))).toThrow(HnswFormatError);
  });
});
