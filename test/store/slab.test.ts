import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VectorSlab } from "../../src/store/embedded/slab.js";
import { TopK } from "../../src/store/embedded/vectors.js";

/** Reference: every included row scored in double precision, best first (ties by slot). */
function reference(rows: number[][], q: number[], metric: "dot" | "l2sq", include: (s: number) => boolean) {
  return rows
    .map((r, slot) => {
      let s = 0;
      for (let i = 0; i < q.length; i++) {
        const a = r[i] as number;
        const b = q[i] as number;
        s += metric === "dot" ? a * b : (a - b) * (a - b);
      }
      return { slot, score: metric === "dot" ? s : -s };
    })
    .filter(({ slot }) => include(slot))
    .sort((a, b) => b.score - a.score || a.slot - b.slot);
}

const finite = fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });

describe("VectorSlab", () => {
  it("runs the WebAssembly SIMD kernels on this runtime", () => {
    expect(new VectorSlab(384).simd).toBe(true);
  });

  it("scores like the double-precision reference, with wasm and JS kernels, any dims and filter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 21 }).chain((dims) =>
          fc.record({
            dims: fc.constant(dims),
            rows: fc.array(fc.array(finite, { minLength: dims, maxLength: dims }), {
              minLength: 1,
              maxLength: 60,
            }),
            q: fc.array(finite, { minLength: dims, maxLength: dims }),
            k: fc.integer({ min: 1, max: 8 }),
            maskSeed: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
            metric: fc.constantFrom("dot" as const, "l2sq" as const),
          }),
        ),
        ({ dims, rows, q, k, maskSeed, metric }) => {
          const mask = Uint8Array.from(maskSeed.slice(0, rows.length), (b) => (b ? 1 : 0));
          const query = Float32Array.from(q);
          // Compare on float32-rounded inputs: that is what the slab stores.
          const rows32 = rows.map((r) => Array.from(Float32Array.from(r)));
          const q32 = Array.from(query);
          for (const useWasm of [true, false]) {
            const slab = new VectorSlab(dims, useWasm);
            rows.forEach((r, s) => {
              slab.ensureRows(s + 1);
              slab.set(s, r);
            });
            const top = new TopK(k);
            slab.setQuery(query);
            // The mask as the live bitmap: rows at 0 are skipped like deleted points.
            slab.scanInto(top, metric, rows.length, mask);
            const got = top.sorted();
            const want = reference(rows32, q32, metric, (s) => mask[s] === 1).slice(0, k);
            expect(got.length).toBe(want.length);
            got.forEach((g, i) => {
              // float32 accumulation: the same scores within rounding (near-ties may swap).
              expect(g.score).toBeCloseTo((want[i] as { score: number }).score, 2);
              expect(slab.score(g.slot, query, metric)).toBeCloseTo(g.score, 2);
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps every row across growth, and scores a listed subset", () => {
    const dims = 5;
    const slab = new VectorSlab(dims);
    for (let s = 0; s < 5000; s++) {
      slab.ensureRows(s + 1);
      slab.set(s, [s, 1, 0, 0, 0]);
    }
    expect(slab.rowCapacity).toBeGreaterThanOrEqual(5000);
    expect(Array.from(slab.get(4321))).toEqual([4321, 1, 0, 0, 0]);
    const top = new TopK(3);
    slab.setQuery(Float32Array.from([1, 0, 0, 0, 0]));
    slab.scoreListInto(top, "dot", [7, 4000, 12, 4999]);
    expect(top.sorted().map((h) => h.slot)).toEqual([4999, 4000, 12]);
    // With a mask, unmasked rows are skipped (the graph's tail under a filter).
    const mask = new Uint8Array(5000);
    for (const s of [7, 12]) mask[s] = 1;
    const masked = new TopK(3);
    slab.scoreListInto(masked, "dot", [7, 4000, 12, 4999], mask);
    expect(masked.sorted().map((h) => h.slot)).toEqual([12, 7]);
  });

  it("sizes exactly when asked (loading a store)", () => {
    const slab = new VectorSlab(384);
    slab.ensureRows(100_001, true);
    expect(slab.rowCapacity).toBe(100_001);
  });
});

describe("kernels-wasm.ts", () => {
  it("holds what kernels.wat assembles to", () => {
    // Exits non-zero when stale; throws here then.
    execFileSync(process.execPath, ["scripts/build-kernels.mjs", "--check"], { stdio: "pipe" });
  });
});
