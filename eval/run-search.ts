/**
 * Search quality evaluation: indexes the corpus plans (tasks only) into a temporary embedded
 * store, runs every query of eval/queries.json in keyword, vector and hybrid modes, and prints
 * recall@10 and MRR@10 for each. Re-runs are fast: embeddings come from the disk cache.
 *
 *   npm run eval:search [-- --task-text title|title+section|title+section+parent] [--verbose]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createEmbedder } from "../src/embedding/embedder.js";
import { IndexState } from "../src/pipeline/index-state.js";
import { indexSources } from "../src/pipeline/indexer.js";
import { DEFAULT_TASK_TEXT_MODE, planExtractor, type TaskTextMode } from "../src/pipeline/sources/plans.js";
import { type SearchMode, search } from "../src/search/search.js";
import { openStore } from "../src/store/index.js";
import { evaluateRuns, type Judgement, type QueryRun } from "./metrics.js";

const { values } = parseArgs({
  options: {
    "task-text": { type: "string", default: DEFAULT_TASK_TEXT_MODE },
    corpus: { type: "string", default: "test/fixtures/corpus/plans" },
    verbose: { type: "boolean", default: false },
  },
});
const taskText = values["task-text"] as TaskTextMode;
const K = 10;

interface Query {
  id: string;
  lang: string;
  query: string;
  target: { file: string; line: number; title: string };
  alternatives: { file: string; line: number }[];
}
const queries = (JSON.parse(await readFile("eval/queries.json", "utf8")) as { queries: Query[] }).queries;

const dir = await mkdtemp(join(tmpdir(), "planvec-eval-"));
const store = await openStore(`embedded:${join(dir, "store")}`);
const state = IndexState.open(join(dir, "store"), store.location);
const embedder = await createEmbedder();
try {
  const started = Date.now();
  const summary = await indexSources({
    roots: [values.corpus],
    kinds: [{ extractor: planExtractor({ taskText, documents: false }), globs: ["**/*.md"] }],
    store,
    embedder,
    state,
  });
  console.log(
    `indexed ${summary.records.total} tasks of ${summary.files.seen} plans in ${((Date.now() - started) / 1000).toFixed(1)} s (task text: ${taskText})`,
  );
  console.log(
    `${queries.length} queries (${queries.filter((q) => q.lang === "fr").length} French), k = ${K}\n`,
  );
  console.log("mode      recall@10  MRR@10");
  for (const mode of ["keyword", "vector", "hybrid"] as SearchMode[]) {
    const runs: QueryRun[] = [];
    for (const query of queries) {
      const hits = await search({ query: query.query, mode, limit: K }, { store, state, embedder });
      const judgement: Judgement = { target: query.target, alternatives: query.alternatives };
      runs.push({ results: hits.map((hit) => ({ file: hit.file, line: hit.line })), judgement });
    }
    const result = evaluateRuns(runs, K);
    console.log(
      `${mode.padEnd(9)} ${result.recall.toFixed(3).padStart(9)}  ${result.mrr.toFixed(3).padStart(6)}`,
    );
    if (values.verbose) {
      queries.forEach((query, i) => {
        console.log(`   ${String(result.ranks[i] ?? "-").padStart(2)}  ${query.id}  ${query.query}`);
      });
    }
  }
} finally {
  await embedder.close();
  state.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
