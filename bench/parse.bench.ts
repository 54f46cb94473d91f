/**
 * Parse-speed benchmark: parses every Markdown file of the corpus (plans and docs) several
 * times on one core and prints MB/s and files/s. Target (issue 2): >= 10 MB/s.
 *
 *   npm run bench:parse [-- DIR...]   (default: ../shared/corpus, else test/fixtures/corpus, else examples)
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { expandPaths } from "../src/core/files.js";
import { parsePlan } from "../src/markdown/plan-parser.js";

const ROUNDS = 5;
const defaults = ["../shared/corpus", "test/fixtures/corpus", "examples"];
const dirs =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : [defaults.find((d) => existsSync(d)) ?? "examples"];

const files = await expandPaths(dirs);
const contents = await Promise.all(files.map((file) => readFile(file)));
const bytes = contents.reduce((sum, content) => sum + content.length, 0);

// Warm-up round: JIT and lazily built parser instances.
let tasks = 0;
for (const content of contents) tasks += parsePlan(content).tasks.length;

const times: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = process.hrtime.bigint();
  for (const content of contents) parsePlan(content);
  times.push(Number(process.hrtime.bigint() - start) / 1e9);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] ?? 1;
const best = times[0] ?? 1;

console.log(
  `corpus: ${dirs.join(", ")} — ${files.length} files, ${(bytes / 1e6).toFixed(2)} MB, ${tasks} tasks`,
);
console.log(`rounds: ${ROUNDS} (after one warm-up), one core`);
console.log(
  `median: ${(bytes / 1e6 / median).toFixed(1)} MB/s, ${(files.length / median).toFixed(0)} files/s (${(median * 1000).toFixed(0)} ms/round)`,
);
console.log(`best:   ${(bytes / 1e6 / best).toFixed(1)} MB/s, ${(files.length / best).toFixed(0)} files/s`);
console.log(`peak RSS: ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
console.log(`target >= 10 MB/s: ${bytes / 1e6 / median >= 10 ? "met" : "NOT met"}`);
