import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExtractResult, SourceExtractor } from "../../../src/pipeline/records.js";
import { otherExtractors } from "../../../src/pipeline/sources/registry.js";
import { FIXTURES } from "./helpers.js";

/** File names that reach every code path of each extractor. */
const NAMES: Record<string, string[]> = {
  "dependency-manifest": [
    "a/package.json",
    "go.mod",
    "requirements.txt",
    "requirements-dev.txt",
    "pyproject.toml",
    "Cargo.toml",
  ],
  schema: ["x.schema.json", "api/openapi.yaml", "api/openapi.json", "db/schema.sql"],
  "security-policy": ["SECURITY.md", "docs/access-policy.yaml", "policy.yml", "policies.md"],
};

const AREA_OF: Record<string, string> = {
  "dependency-manifest": "dependencies",
  schema: "schemas",
  "security-policy": "policies",
};

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** What must hold for any input: no exception escapes, the guard never fires, keys are unique and stable. */
function checkInvariants(extractor: SourceExtractor, file: string, bytes: Uint8Array): ExtractResult {
  const first = extractor.extract(file, bytes);
  expect(first.warnings.filter((w) => w.code === "extractor-failure")).toEqual([]);
  const keys = first.records.map((r) => r.key);
  expect(new Set(keys).size).toBe(keys.length);
  for (const record of first.records) {
    expect(record.key.startsWith(`${file}#`)).toBe(true);
    expect(record.payload.file).toBe(file);
    expect(record.payload.kind).toBe(extractor.kind);
    expect(Number.isInteger(record.payload.line) && record.payload.line >= 1).toBe(true);
    expect(record.text.length).toBeLessThanOrEqual(1000);
  }
  for (const w of first.warnings) {
    expect(w.file).toBe(file);
    expect(w.line).toBeGreaterThanOrEqual(1);
  }
  const second = extractor.extract(file, bytes.slice());
  expect(second).toEqual(first);
  return first;
}

for (const extractor of otherExtractors) {
  const names = NAMES[extractor.kind] ?? [];
  // Large real-world files (the 500 KB Qdrant spec) are checked once below, not mutated 250 times.
  const fixtures = listFiles(join(FIXTURES, AREA_OF[extractor.kind] ?? ""))
    .filter((path) => statSync(path).size < 64 * 1024)
    .map((path) => ({
      name: relative(join(FIXTURES, AREA_OF[extractor.kind] ?? ""), path),
      text: readFileSync(path, "utf8"),
    }));

  describe(`${extractor.kind} extractor properties`, () => {
    it("survives arbitrary bytes", () => {
      fc.assert(
        fc.property(fc.constantFrom(...names), fc.uint8Array({ maxLength: 2000 }), (file, bytes) => {
          checkInvariants(extractor, file, bytes);
        }),
        { numRuns: 300 },
      );
    });

    it("survives arbitrary strings, including unpaired surrogates", () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...names),
          fc.string({ unit: "binary", maxLength: 800 }),
          (file, text) => {
            checkInvariants(extractor, file, new TextEncoder().encode(text));
          },
        ),
        { numRuns: 300 },
      );
    });

    it("survives mutated real fixtures (cuts, insertions, duplicated slices)", () => {
      const mutation = fc.record({
        fixture: fc.constantFrom(...fixtures),
        at: fc.nat(),
        cut: fc.nat({ max: 80 }),
        insert: fc.oneof(
          fc.constantFrom(
            "[",
            "]",
            "{",
            "}",
            "(",
            ")",
            '"',
            "'",
            ",",
            ":",
            "\n",
            "  - ",
            "# ",
            "=",
            "--",
            "/*",
            "$$",
            "`",
            "&a",
            "*a",
          ),
          fc.string({ maxLength: 20 }),
        ),
        duplicate: fc.boolean(),
      });
      fc.assert(
        fc.property(mutation, ({ fixture, at, cut, insert, duplicate }) => {
          const text = fixture.text;
          const position = text.length === 0 ? 0 : at % text.length;
          const slice = text.slice(position, position + cut);
          const mutated =
            text.slice(0, position) + insert + (duplicate ? slice + slice : "") + text.slice(position + cut);
          checkInvariants(extractor, fixture.name, new TextEncoder().encode(mutated));
        }),
        { numRuns: 250 },
      );
    });

    it("gives the same keys and lines for CRLF and LF line endings", () => {
      for (const fixture of fixtures) {
        if (fixture.text.includes("\r") || !fixture.text.includes("\n")) continue;
        const lf = extractor.extract(fixture.name, new TextEncoder().encode(fixture.text));
        const crlf = extractor.extract(
          fixture.name,
          new TextEncoder().encode(fixture.text.replace(/\n/g, "\r\n")),
        );
        const shape = (r: ExtractResult) => r.records.map((x) => `${x.key}@${x.payload.line}`);
        expect(shape(crlf), fixture.name).toEqual(shape(lf));
        expect(
          crlf.warnings.map((w) => `${w.code}@${w.line}`),
          fixture.name,
        ).toEqual(lf.warnings.map((w) => `${w.code}@${w.line}`));
      }
    });

    it("keeps keys unique and stable on every fixture", () => {
      const root = join(FIXTURES, AREA_OF[extractor.kind] ?? "");
      for (const path of listFiles(root)) {
        checkInvariants(extractor, relative(root, path), readFileSync(path));
      }
    });
  });
}

describe("registry", () => {
  it("lists one extractor per non-plan kind with default globs", () => {
    expect(otherExtractors.map((e) => e.kind)).toEqual(["dependency-manifest", "schema", "security-policy"]);
    for (const extractor of otherExtractors) expect(extractor.defaultGlobs.length).toBeGreaterThan(0);
  });
});
