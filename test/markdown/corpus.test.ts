/**
 * The whole corpus (70 real plans, 16 guides) against an independent reading by GitHub's own
 * Markdown parser, cmark-gfm: `test/fixtures/corpus/cmark-gfm-tasks.json`, made by
 * `scripts/markdown/crosscheck_cmark_gfm.py` and proved reproducible by `.ci/peers.d/markdown.sh`.
 * Plus a few files read by hand, line by line.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/markdown/plan-parser.js";
import type { FenceMode, Task, TaskStatus } from "../../src/markdown/types.js";

const CORPUS = join(import.meta.dirname, "../fixtures/corpus");

interface PeerFile {
  file: string;
  total: number;
  done: number;
  pending: number;
  tasks: { line: number; status: TaskStatus }[];
}
interface PeerRun {
  generator: { cmark_gfm: string; fences: FenceMode };
  files: PeerFile[];
}
const loadPeer = (name: string) => JSON.parse(readFileSync(join(CORPUS, name), "utf8")) as PeerRun;
/** cmark-gfm's reading; in lenient mode, of the source with fence lines carrying an info string
 * inside an open fence made bare (what planvec's `--fences lenient` does). */
const peers: Record<FenceMode, PeerRun> = {
  strict: loadPeer("cmark-gfm-tasks.json"),
  lenient: loadPeer("cmark-gfm-tasks-lenient.json"),
};

/**
 * Where planvec and cmark-gfm disagree on the corpus, and planvec is right. Each entry is
 * checked both ways below, so the list cannot go stale.
 */
const KNOWN_DIVERGENCES: {
  file: string;
  line: number;
  planvec: TaskStatus | null;
  cmarkGfm: TaskStatus | null;
  why: string;
}[] = [
  {
    // In both fence modes: this line is outside any code block.
    file: "plans/plan-dev-v43d-dependency-manager.md",
    line: 316,
    planvec: "pending",
    cmarkGfm: "done",
    // `  - [ ] Étape 2.2 : Confirmer ...  - [x] Entrées : ...` (two items typed on one line).
    why:
      "cmark-gfm's tasklist extension decides 'checked' with strstr(line, \"[x]\") over the whole " +
      "rest of the line (extensions/tasklist.c, open_tasklist_item), so a later `[x]` in the text " +
      "checks the box. GFM spec §5.3 and issue 2: the state is the marker's, `[ ]` is pending.",
  },
];

const key = (file: string, line: number) => `${file}:${line}`;

function parseFixture(file: string, fences: FenceMode = "strict") {
  return parsePlan(readFileSync(join(CORPUS, file)), { fences });
}

/** What planvec must report for a file: cmark-gfm's tasks with the known divergences applied. */
function expectedTasks(entry: PeerFile): Map<number, TaskStatus> {
  const expected = new Map(entry.tasks.map((task) => [task.line, task.status]));
  for (const d of KNOWN_DIVERGENCES) {
    if (d.file !== entry.file) continue;
    if (d.planvec === null) expected.delete(d.line);
    else expected.set(d.line, d.planvec);
  }
  return expected;
}

/** The fixture's recorded totals for a file, moved by the known divergences. */
function expectedTotals(entry: PeerFile): { total: number; done: number; pending: number } {
  const totals = { total: entry.total, done: entry.done, pending: entry.pending };
  for (const d of KNOWN_DIVERGENCES) {
    if (d.file !== entry.file) continue;
    for (const [status, delta] of [
      [d.cmarkGfm, -1],
      [d.planvec, +1],
    ] as const) {
      if (status === null) continue;
      totals.total += delta;
      totals[status] += delta;
    }
  }
  return totals;
}

describe("the cmark-gfm fixture", () => {
  it.each(["strict", "lenient"] as const)(
    "covers every corpus file, with totals that add up (fences %s)",
    (fences) => {
      const peer = peers[fences];
      expect(peer.generator.fences).toBe(fences);
      const onDisk = ["plans", "docs"].flatMap((dir) =>
        readdirSync(join(CORPUS, dir))
          .filter((name) => name.endsWith(".md"))
          .map((name) => `${dir}/${name}`),
      );
      expect(peer.files.map((f) => f.file).sort()).toEqual(onDisk.sort());
      expect(onDisk.filter((f) => f.startsWith("plans/"))).toHaveLength(70);
      for (const entry of peer.files) {
        const done = entry.tasks.filter((t) => t.status === "done").length;
        expect([entry.total, entry.done, entry.pending], entry.file).toEqual([
          entry.tasks.length,
          done,
          entry.tasks.length - done,
        ]);
      }
      // Sanity of the peer itself: it is not an empty or truncated run.
      expect(peer.files.reduce((sum, f) => sum + f.total, 0)).toBe(fences === "strict" ? 12176 : 13594);
      expect(peer.generator.cmark_gfm).toMatch(/gfm/);
    },
  );
});

describe.each(["strict", "lenient"] as const)(
  "planvec agrees with cmark-gfm on every corpus file (fences %s)",
  (fences) => {
    it.each(peers[fences].files.map((entry) => [entry.file, entry] as const))("%s", (file, entry) => {
      const parsed = parseFixture(file, fences);
      const actual = new Map(parsed.tasks.map((task) => [task.line, task.status]));
      const expected = expectedTasks(entry);
      expect([...actual].sort((a, b) => a[0] - b[0])).toEqual([...expected].sort((a, b) => a[0] - b[0]));

      const done = parsed.tasks.filter((t) => t.status === "done").length;
      expect({ total: parsed.tasks.length, done, pending: parsed.tasks.length - done }).toEqual(
        expectedTotals(entry),
      );
    });

    it.each(KNOWN_DIVERGENCES.map((d) => [key(d.file, d.line), d] as const))(
      "known divergence %s still holds in both parsers",
      (_, d) => {
        const entry = peers[fences].files.find((f) => f.file === d.file);
        const cmarkStatus = entry?.tasks.find((t) => t.line === d.line)?.status ?? null;
        expect(cmarkStatus).toBe(d.cmarkGfm);
        const ours = parseFixture(d.file, fences).tasks.find((t) => t.line === d.line)?.status ?? null;
        expect(ours).toBe(d.planvec);
      },
    );
  },
);

describe("chunked parsing on the corpus", () => {
  // Files over 1 MB are parsed in chunks (chunked-parse.ts); no corpus file is that big, so cut
  // every plan into ~2 KB chunks and require the very same result as a whole-file parse.
  it("gives the same tasks, sections and declared progress as a whole-file parse", () => {
    for (const entry of peers.strict.files.filter((f) => f.file.startsWith("plans/"))) {
      const bytes = readFileSync(join(CORPUS, entry.file));
      const whole = parsePlan(bytes);
      const chunked = parsePlan(bytes, { chunkChars: 2000 });
      expect(chunked.tasks, entry.file).toEqual(whole.tasks);
      expect(chunked.sections, entry.file).toEqual(whole.sections);
      expect(chunked.declaredProgress, entry.file).toEqual(whole.declaredProgress);
    }
  });
});

/** The fields of a task a reader can check against the file. */
const view = (t: Task | undefined) =>
  t && {
    line: t.line,
    status: t.status,
    id: t.id,
    title: t.title,
    depth: t.depth,
    parentLine: t.parentLine,
    section: [...t.section],
  };
const taskAt = (tasks: Task[], line: number) => view(tasks.find((t) => t.line === line));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("files read by hand", () => {
  it("plan-dev-v33: a ```plaintext closer swallows the file in strict mode; lenient finds its 333 tasks", () => {
    const strict = parseFixture("plans/plan-dev-v33-mcp-manager.md");
    expect(strict.tasks).toHaveLength(0);
    expect(strict.warnings.some((w) => w.code === "broken-fence" && w.line === 55)).toBe(true);
    const lenient = parseFixture("plans/plan-dev-v33-mcp-manager.md", "lenient");
    expect(lenient.tasks).toHaveLength(333);
  });

  it("plan-v66: 11 pending checkboxes; the two `- [x]` lines in its ```markdown example are code", () => {
    const plan = parseFixture("plans/plan-v66-completion-audit.md");
    expect(plan.tasks.map((t) => t.line)).toEqual([...range(13, 17), ...range(45, 50)]);
    expect(plan.tasks.every((t) => t.status === "pending")).toBe(true);
    const title = "Audit de complétion – plan-dev-v66-fusion-doc-manager-extensions-hybride.md";
    expect(taskAt(plan.tasks, 13)).toEqual({
      line: 13,
      status: "pending",
      id: null,
      title:
        "Ajouter pour chaque phase : sous-étapes concrètes, livrables, commandes, formats, critères de validation, rollback, liens vers scripts/livrables réels.",
      depth: 0,
      parentLine: null,
      section: [title, "Points manquants pour 100 % de complétion"],
    });
    expect(taskAt(plan.tasks, 50)).toEqual({
      line: 50,
      status: "pending",
      id: null,
      title: "Rapport d’audit mis à jour à chaque itération CI",
      depth: 0,
      parentLine: null,
      section: [title, "Checklist de validation finale"],
    });
    expect(plan.warnings).toContainEqual(expect.objectContaining({ line: 28, code: "task-in-code" }));
  });

  it("plan-dev-v30: 8 done then 7 pending, one per section, a declared 0%", () => {
    const plan = parseFixture("plans/plan-dev-v30-workflows-ci-cd-correctifs.md");
    const byStatus = (s: TaskStatus) => plan.tasks.filter((t) => t.status === s).map((t) => t.line);
    expect(byStatus("done")).toEqual([9, 10, 11, 15, 16, 20, 21, 22]);
    expect(byStatus("pending")).toEqual([26, 27, 28, 32, 36, 37, 38]);
    const plan30 = "Plan de développement v30 – Workflows CI/CD Correctifs";
    expect(taskAt(plan.tasks, 20)).toEqual({
      line: 20,
      status: "done",
      id: null,
      // Code spans keep their text, lose their backticks.
      title: "Lancer npm install pour synchroniser package.json et package-lock.json.",
      depth: 0,
      parentLine: null,
      section: [plan30, "3. Synchronisation des dépendances npm"],
    });
    expect(taskAt(plan.tasks, 26)).toMatchObject({
      status: "pending",
      title: "Vérifier et corriger la configuration des sous-modules dans .gitmodules.",
      section: [plan30, "4. Correction des sous-modules git"],
    });
    // `*Version 1.0 - 2025-05-21 - Progression globale : 0%*`
    expect(plan.declaredProgress).toEqual([{ line: 3, section: [plan30], percent: 0 }]);
  });

  it("plan-dev-v69: 57 tasks, ids like `1.1.`, nested checklists under item 5.3, `## [x]` headings are not tasks", () => {
    const plan = parseFixture("plans/plan-dev-v69-documentation-complete.md");
    const lines = [
      ...range(36, 42),
      ...range(50, 54),
      ...range(58, 61),
      ...range(65, 68),
      ...range(72, 74),
      78,
      98,
      104,
      ...range(107, 110),
      ...range(113, 116),
      120,
      135,
      142,
      ...range(173, 176),
      ...range(180, 183),
      ...range(228, 232),
      ...range(260, 266),
    ];
    expect(plan.tasks.map((t) => t.line)).toEqual(lines);
    expect(plan.tasks.filter((t) => t.status === "done")).toHaveLength(22);
    expect(plan.tasks.filter((t) => t.id !== null)).toHaveLength(30);
    const phase5 = ["🗺️ ROADMAP DÉTAILLÉE", "[x] 5. Exemples, cas d’erreur et bonnes pratiques"];
    expect(taskAt(plan.tasks, 104)).toEqual({
      line: 104,
      status: "done",
      id: "5.3",
      title: "Proposer des checklists de validation et de troubleshooting",
      depth: 0,
      parentLine: null,
      section: phase5,
    });
    // Indented two spaces, these items sit inside item 5.3 (content column 2); the bold
    // "Checklist troubleshooting rapide" line between them, indented four, is a paragraph of
    // item 110, so 113-116 continue the same nested list.
    for (const line of [...range(107, 110), ...range(113, 116)])
      expect(taskAt(plan.tasks, line)).toMatchObject({ status: "pending", depth: 1, parentLine: 104 });
    expect(taskAt(plan.tasks, 107)).toEqual({
      line: 107,
      status: "pending",
      id: null,
      title: "Les clés API sont-elles valides et présentes ?",
      depth: 1,
      parentLine: 104,
      section: phase5,
    });
    // The YAML front matter is not a heading: the first h1 opens the path.
    expect(taskAt(plan.tasks, 36)?.section).toEqual([
      "📚 PLAN V69 : DOCUMENTATION COMPLÈTE & ONBOARDING ÉCOSYSTÈME",
      "🔒 Contraintes et spécificités clés",
    ]);
    expect(taskAt(plan.tasks, 266)).toEqual({
      line: 266,
      status: "pending",
      id: null,
      title: "Validation, feedback, itérations",
      depth: 0,
      parentLine: null,
      section: ["🚦 JALONS & SUIVI"],
    });
  });
});

/**
 * Found by differential fuzzing against cmark-gfm (random documents built from task-like
 * fragments); none of these shapes occurs in the corpus.
 */
describe("differences from cmark-gfm outside the corpus", () => {
  it("a task item opened on the same line as its container, or after a blank line, is a task (cmark-gfm misses it)", () => {
    // cmark-gfm's tasklist extension only looks for `[ ]` where the item's own line starts;
    // GFM spec §5.3: a task list item is a list item whose first block is a paragraph that
    // begins with a task list item marker, which all of these are.
    const tasks = parsePlan("- - [ ] a\n\n1. - [x] b\n\n> - [ ] c\n\n-\n  [ ] d\n").tasks;
    expect(tasks.map((t) => [t.line, t.status])).toEqual([
      [1, "pending"],
      [3, "done"],
      [5, "pending"],
      [8, "pending"],
    ]);
  });

  it("a later `[x]` on the line does not check a `[ ]` box (cmark-gfm's strstr bug)", () => {
    expect(parsePlan("- [ ] a [x] b\n").tasks.map((t) => t.status)).toEqual(["pending"]);
  });

  it("a closing HTML tag on a lazy continuation line stays in the paragraph (cmark-gfm starts an HTML block)", () => {
    // CommonMark §4.6: an HTML block of type 7 (`</span>` alone) cannot interrupt a paragraph,
    // so the line is paragraph continuation text and may be lazy (§5.1). cmark-gfm guards
    // indented code with its `maybe_lazy` flag but not type-7 HTML (blocks.c), and swallows
    // `✅ b` into an HTML block; GitHub shows that, markdown-it follows the spec.
    expect(parsePlan("- a\n</span>\n✅ b\n").tasks.map((t) => [t.line, t.status])).toEqual([[3, "done"]]);
  });

  // markdown-it ends a link reference definition as a block of its own, so the next line can
  // start a list or an indented code block. The spec's parsing strategy (appendix, and §4.7:
  // a definition cannot interrupt a paragraph) reads definitions off the start of a paragraph
  // when it closes, so a following line that cannot interrupt a paragraph continues it:
  // `2) [x] e` (§5.2: only a list starting at 1 interrupts a paragraph) and `    ☐ f` (§4.4) are
  // paragraph text, as cmark-gfm (GitHub) and commonmark.js render them.
  it("a line after a link reference definition continues its paragraph (markdown-it divergence, corrected in paragraph-fixes.ts)", () => {
    expect(
      parsePlan("[ref]: /url\n2) [x] e\n\n[ref]: /url\n    ☐ f\n").tasks.map((t) => [t.line, t.status]),
    ).toEqual([[5, "pending"]]);
  });

  // A line that begins inside a code span spanning lines is not a line of the rendered
  // paragraph: CommonMark §6.1 turns the line ending into a space, so `✅ b` renders in the
  // middle of `<code>`. planvec reads paragraph lines from the source without inline parsing.
  it("a ✅ line inside a multi-line code span is not a task (fixed: paragraph-fixes.ts)", () => {
    expect(parsePlan("see `a\n✅ b` c\n").tasks).toEqual([]);
  });
});
