import { describe, expect, it } from "vitest";
import { markdownLineToPlain } from "../../../src/markdown/plain-line.js";
import { DOCUMENT_CHUNK_CHARS, planExtractor } from "../../../src/pipeline/sources/plans.js";
import { utf8 } from "./helpers.js";

const plan = [
  "# Plan v99: Migration", // 1
  "", // 2
  "## Phase 1: Préparation", // 3
  "", // 4
  "**Objectif** : migrer `vectorize_tasks.py` vers Go, voir [le guide](docs/guide.md).", // 5
  "", // 6
  "| Composant | Statut |", // 7
  "|---|---|", // 8
  "| Qdrant | prêt |", // 9
  "", // 10
  "- [ ] **1.1** Auditer les scripts Python", // 11
  "- [x] **1.2** Sauvegarder les vecteurs", // 12
  "", // 13
  "```go", // 14
  "func Embed(texts []string) {}", // 15
  "```", // 16
].join("\n");

describe("plan extractor: documents records", () => {
  const { records } = planExtractor().extract("plans/v99.md", utf8(plan));
  const documents = records.filter((r) => r.collection === "documents");

  it("embeds the words a reader sees under the section's heading path, without markup or task lines", () => {
    const phase = documents.find((r) => r.payload.section.at(-1) === "Phase 1: Préparation");
    expect(phase?.text).toBe(
      [
        "Plan v99: Migration > Phase 1: Préparation",
        "Phase 1: Préparation",
        "",
        "Objectif : migrer vectorize_tasks.py vers Go, voir le guide.",
        "",
        "Composant Statut",
        "",
        "Qdrant prêt",
        "",
        "",
        "",
        "",
        "",
        "func Embed(texts []string) {}",
      ].join("\n"),
    );
    expect(phase?.payload.line).toBe(3); // the source line where the chunk starts
    // Task lines are records of roadmap_tasks, not repeated in documents.
    expect(documents.some((r) => r.text.includes("Auditer"))).toBe(false);
    expect(records.filter((r) => r.collection === "roadmap_tasks")).toHaveLength(2);
  });

  it("cuts long sections into chunks that fit the window, each starting at its own source line", () => {
    const long = [
      "## Long",
      ...Array.from({ length: 40 }, (_, i) => `Ligne **${i}** de prose sur la migration des vecteurs.`),
    ];
    const { records: chunks } = planExtractor().extract("plans/long.md", utf8(long.join("\n")));
    const docs = chunks.filter((r) => r.collection === "documents");
    expect(docs.length).toBeGreaterThan(2);
    for (const doc of docs) {
      expect(doc.text.length).toBeLessThanOrEqual(DOCUMENT_CHUNK_CHARS + "Long\n".length);
      expect(doc.text).not.toContain("**");
      const firstBodyLine = doc.text.split("\n")[1] ?? "";
      expect(markdownLineToPlain(long[doc.payload.line - 1] ?? "")).toBe(firstBodyLine);
    }
  });
});
