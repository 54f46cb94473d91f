/**
 * Diff planvec's plan parser against the cmark-gfm peer, per file, on (line, status) sets.
 *
 *   npx tsx scripts/markdown/compare-with-planvec.ts CMARK_JSON BASE_DIR [--fences lenient]
 *
 * CMARK_JSON is the output of scripts/markdown/crosscheck_cmark_gfm.py, whose file names are
 * relative to BASE_DIR (e.g. the committed test/fixtures/corpus/cmark-gfm-tasks.json with
 * test/fixtures/corpus; the -lenient one with --fences lenient). Prints each difference with
 * the source line, so a reader can judge who is right; exits 1 when there is any.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePlan } from "../../src/markdown/plan-parser.js";
import type { FenceMode } from "../../src/markdown/types.js";

interface PeerTask {
  line: number;
  status: "done" | "pending";
}
interface PeerFile {
  file: string;
  tasks: PeerTask[];
}

const [peerPath, baseDir, ...rest] = process.argv.slice(2);
if (!peerPath || !baseDir) {
  console.error("usage: compare-with-planvec.ts CMARK_JSON BASE_DIR [--fences lenient]");
  process.exit(2);
}
const fences: FenceMode = rest.includes("lenient") ? "lenient" : "strict";
const peer = JSON.parse(readFileSync(peerPath, "utf8")) as { files: PeerFile[] };

let differences = 0;
for (const entry of peer.files) {
  const bytes = readFileSync(join(baseDir, entry.file));
  const ours = parsePlan(bytes, { fences });
  const lines = ours.text.split(/\r\n|\r|\n/);
  const theirs = new Map(entry.tasks.map((task) => [task.line, task.status]));
  const mine = new Map(ours.tasks.map((task) => [task.line, task.status]));
  const report: string[] = [];
  for (const [line, status] of mine) {
    const other = theirs.get(line);
    if (other === undefined) report.push(`  +planvec ${line} ${status}: ${lines[line - 1]}`);
    else if (other !== status)
      report.push(`  status   ${line} planvec=${status} cmark=${other}: ${lines[line - 1]}`);
  }
  for (const [line, status] of theirs) {
    if (!mine.has(line)) report.push(`  +cmark   ${line} ${status}: ${lines[line - 1]}`);
  }
  if (report.length > 0) {
    differences += report.length;
    console.log(`${entry.file}: planvec ${mine.size}, cmark-gfm ${theirs.size}`);
    console.log(report.sort((a, b) => lineOf(a) - lineOf(b)).join("\n"));
  }
}
console.log(`${differences} difference(s) over ${peer.files.length} file(s), fences ${fences}`);
process.exit(differences > 0 ? 1 : 0);

function lineOf(reportLine: string): number {
  return Number(/ (\d+) /.exec(reportLine)?.[1] ?? 0);
}
