import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonArrayElements } from "../../src/migrate/sources/json-array.js";

/** Feed `text` to the splitter in chunks cut at the given byte positions. */
async function split(text: string, cuts: number[]): Promise<unknown[]> {
  const bytes = Buffer.from(text, "utf8");
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  async function* source() {
    for (const chunk of chunks) if (chunk.length > 0) yield chunk;
  }
  const out: unknown[] = [];
  for await (const group of jsonArrayElements(source(), { source: "test" })) {
    for (const element of group) out.push(JSON.parse(element.text));
  }
  return out;
}

// Strings full of the characters the scanner must not be fooled by.
const trickyString = fc.stringMatching(/^[a-z"\\[\]{},: é\u2028]{0,12}$/);
const value = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: "small" },
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    trickyString,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(trickyString, tie("json"), { maxKeys: 4 }),
  ),
})).json;

describe("streaming JSON array splitter (property)", () => {
  it("yields exactly the elements of any array, however the input is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom(0, 1, 2),
        fc.constantFrom("", " ", "\n  "),
        async (elements, cuts, wrap, space) => {
          const body = `[${space}${elements.map((e) => JSON.stringify(e, null, space === "" ? undefined : 1)).join(`,${space}`)}${space}]`;
          const text =
            wrap === 0
              ? body
              : wrap === 1
                ? `{"meta": {"points": "no [", "x": [1, {"y": "]"}]}, "points": ${body}}`
                : `{"result": {"points": ${body}}, "status": "ok"}`;
          const got = await split(text, cuts);
          expect(got).toEqual(JSON.parse(JSON.stringify(elements)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects truncated documents wherever they are cut", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 6 }), fc.nat(), async (elements, cut) => {
        const text = JSON.stringify(elements);
        const at = 1 + (cut % (text.length - 1));
        await expect(split(text.slice(0, at), [])).rejects.toThrow(/end of input/);
      }),
      { numRuns: 200 },
    );
  });
});
