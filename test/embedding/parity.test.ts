import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder, type LocalEmbedder } from "../../src/embedding/embedder.js";
import { cosine, loadParity } from "./helpers.js";

// Reference vectors come from Python sentence-transformers (scripts/embedding/make_parity_fixture.py);
// .ci/peers.d/embedding.sh recomputes a sample of them to prove the fixture genuine.
const fixture = loadParity();

describe("parity with sentence-transformers", () => {
  it("covers at least 200 sentences, French corpus titles and English ones", () => {
    expect(fixture.items.length).toBeGreaterThanOrEqual(200);
    expect(fixture.items.filter((i) => i.kind === "corpus-fr").length).toBeGreaterThanOrEqual(150);
    expect(fixture.items.filter((i) => i.kind === "en").length).toBeGreaterThanOrEqual(40);
    expect(fixture.dims).toBe(384);
  });

  for (const [variant, floor] of [
    ["int8", 0.99],
    ["fp32", 0.9999],
  ] as const) {
    describe(variant, () => {
      let embedder: LocalEmbedder;
      const warnings: string[] = [];
      beforeAll(async () => {
        embedder = await createEmbedder({ variant, cache: false, onWarning: (m) => warnings.push(m) });
      });
      afterAll(async () => {
        await embedder.close();
      });

      it(`gives cosine >= ${floor} to the reference for every sentence`, async () => {
        const vectors = await embedder.embed(fixture.items.map((item) => item.text));
        const scores = fixture.items.map((item, i) => ({
          text: item.text.slice(0, 60),
          cosine: cosine(vectors[i] ?? [], item.vector),
        }));
        const below = scores.filter((s) => !(s.cosine >= floor));
        expect(below).toEqual([]);
        // The long edge-case sentence exceeds 256 word pieces: cut like Python, and said so.
        expect(embedder.truncatedCount()).toBe(1);
        expect(warnings.some((w) => w.includes("256 word pieces"))).toBe(true);
      }, 180_000); // 235 sentences incl. a 256-piece one: ~3 s idle, ~20 s on a loaded 2-core box
    });
  }
});
