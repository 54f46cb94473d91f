import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { markdownLineToPlain } from "../../src/markdown/plain-line.js";

/** Letters and digits of a text, sorted: what may never be invented. */
const alnum = (text: string) => [...text.normalize("NFC").matchAll(/[\p{L}\p{N}]/gu)].map((m) => m[0]).sort();

function isSubMultiset(small: string[], big: string[]): boolean {
  const counts = new Map<string, number>();
  for (const c of big) counts.set(c, (counts.get(c) ?? 0) + 1);
  for (const c of small) {
    const n = counts.get(c) ?? 0;
    if (n === 0) return false;
    counts.set(c, n - 1);
  }
  return true;
}

describe("markdownLineToPlain", () => {
  it.each([
    ["## Phase 2: Migration", "Phase 2: Migration"],
    ["- [x] **1.2.3** Migrer `vectorize_tasks.py` vers Go", "1.2.3 Migrer vectorize_tasks.py vers Go"],
    ["> - [ ] tâche citée", "tâche citée"],
    ["3. Voir [le guide](https://example.com/guide.md) et ![schéma](img/a.png)", "Voir le guide et schéma"],
    ["| Composant | Statut |", "Composant Statut"],
    ["|---|:---:|", ""],
    ["```python", ""],
    ["~~~", ""],
    ["---", ""],
    ["* * *", ""],
    ["Texte <br> suite <details>", "Texte suite"],
    ["Remplacer <fichier> par le chemin de List<T>", "Remplacer <fichier> par le chemin de List<T>"],
    ["Lien <https://qdrant.tech/documentation>", "Lien https://qdrant.tech/documentation"],
    ["~~obsolète~~ __gras__ ***fort***", "obsolète gras fort"],
    ["    def embed(texts):  # code kept", "def embed(texts): # code kept"],
    ["   ", ""],
  ])("%j → %j", (line, plain) => {
    expect(markdownLineToPlain(line)).toBe(plain);
  });

  it("never invents a letter or digit, and leaves no emphasis run, backtick or pipe", () => {
    const markdownish = fc
      .array(
        fc.constantFrom(
          ..."ab1 é#>-*+_~`|[]()!<>:.\t".split(""),
          "**",
          "```",
          "- [ ] ",
          "[x](y)",
          "<br>",
          "<https://a.b>",
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(markdownish, (line) => {
        const plain = markdownLineToPlain(line);
        expect(isSubMultiset(alnum(plain), alnum(line))).toBe(true);
        expect(plain).not.toMatch(/\*\*|__|~~|`|\|/);
        expect(plain).toBe(plain.trim());
        expect(plain).not.toMatch(/\s{2,}|\n/);
      }),
      { numRuns: 3000 },
    );
  });

  it("leaves a line without markup as it is, spaces collapsed", () => {
    // Starting with a letter: "0. " would be an ordered-list marker, which is markup.
    const prose = fc
      .tuple(
        fc.constantFrom(..."abcXYZé".split("")),
        fc.array(fc.constantFrom(..."abcXYZ019éàç ,.;:'!?".split("")), { maxLength: 80 }),
      )
      .map(([first, rest]) => first + rest.join(""));
    fc.assert(
      fc.property(prose, (line) => {
        expect(markdownLineToPlain(line)).toBe(line.replace(/\s+/g, " ").trim());
      }),
      { numRuns: 2000 },
    );
  });
});
