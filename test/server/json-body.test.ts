import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cannotPoisonPrototypes } from "../../src/server/json-body.js";

/** What secure-json-parse would object to: a __proto__ key, or constructor.prototype, in any spelling. */
function hasPoisonKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (key === "__proto__") return true;
    if (key === "constructor" && child !== null && typeof child === "object" && "prototype" in child)
      return true;
    if (hasPoisonKey(child)) return true;
  }
  return false;
}

describe("cannotPoisonPrototypes", () => {
  it("passes plain bodies and sends anything that could spell a poisoned key to the guarded parser", () => {
    expect(cannotPoisonPrototypes('{"query": [0.1, -0.2], "limit": 10}')).toBe(true);
    expect(cannotPoisonPrototypes('{"__proto__": {}}')).toBe(false);
    expect(cannotPoisonPrototypes('{"\\u005f_proto__": {}}')).toBe(false);
    expect(cannotPoisonPrototypes('{"constructor": {"prototype": {}}}')).toBe(false);
  });

  it("never lets through a body whose parsed keys would poison a prototype", () => {
    // Keys drawn from a small alphabet that can assemble the dangerous words and escapes.
    const key = fc.stringMatching(/^(__proto__|constructor|prototype|\\u005f|_|proto|a)*$/);
    const json = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.integer(), fc.dictionary(key, tie("value"), { maxKeys: 3 })),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        // JSON.stringify writes keys as given; escape the underscores at random positions too.
        const text = JSON.stringify(value).replace(/_/g, (u, at: number) => (at % 3 === 0 ? "\\u005f" : u));
        const parsed = JSON.parse(text);
        if (hasPoisonKey(parsed)) expect(cannotPoisonPrototypes(text)).toBe(false);
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
