/**
 * Embedding benchmark (issue 3): the dev corpus' task titles through planvec's local ONNX
 * embedder (int8 and fp32; one session with 1 or 2 intra-op threads; 2 worker sessions of 1
 * thread each, the default on 2 cores; batches of 1, 8, 32 and one call with every text) and,
 * in the same run, through Python sentence-transformers (PyTorch CPU)
 * on the same texts. Prints texts/s, the planvec/Python ratio, one short query's latency, the
 * warm disk-cache rate and peak RSS. Targets: >= 200 texts/s on 2 cores, >= 2.0x Python,
 * <= 15 ms per short query.
 *
 *   npm run bench:embed [-- --texts N] [--corpus DIR] [--no-python]
 *
 * Python runs from ~/.cache/planvec-peers/venv (made by .ci/peers.d/embedding.sh).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createEmbedder } from "../src/embedding/embedder.js";
import type { ModelVariant } from "../src/embedding/model-files.js";

const { values } = parseArgs({
  options: {
    texts: { type: "string", default: "1000" },
    corpus: { type: "string" },
    "no-python": { type: "boolean", default: false },
  },
});
const corpus =
  values.corpus ?? ["../shared/corpus/plans", "/work/shared/corpus/plans"].find((d) => existsSync(d)) ?? "";
if (!corpus || !existsSync(corpus)) {
  console.error("no corpus: pass --corpus DIR (Markdown plans with task checkboxes)");
  process.exit(2);
}

// Task titles: the text after a Markdown checkbox, deduplicated, in file order.
const seen = new Set<string>();
for (const file of readdirSync(corpus)
  .filter((f) => f.endsWith(".md"))
  .sort()) {
  for (const line of readFileSync(join(corpus, file), "utf8").split("\n")) {
    const title = /^\s*[-*+] \[[ xX]\]\s+(.*\S)\s*$/.exec(line)?.[1];
    if (title) seen.add(title);
  }
}
const all = [...seen];
const count = Math.min(Number(values.texts), all.length);
const stride = all.length / count;
const texts = Array.from({ length: count }, (_, i) => all[Math.floor(i * stride)] ?? "");
const meanChars = texts.reduce((s, t) => s + t.length, 0) / texts.length;
console.log(
  `corpus ${corpus}: ${all.length} unique task titles; benchmarking ${count} (mean ${meanChars.toFixed(0)} chars)`,
);
console.log(
  `machine: ${(await import("node:os")).cpus().length} cores, load average ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);

const rate = (n: number, ms: number) => (n / ms) * 1000;
const rows: { runtime: string; variant: string; mode: string; batch: number; textsPerS: number }[] = [];

async function timeSession(
  variant: ModelVariant,
  threads: number,
  batchSize: number,
  spin = false,
  workers = 1,
): Promise<number> {
  const embedder = await createEmbedder({
    variant,
    threads,
    workers,
    batchSize: batchSize || 32,
    spin,
    cache: false,
    env: {},
    onWarning: () => {},
  });
  await embedder.embed(texts.slice(0, 32)); // warm-up: first-run allocations
  const started = performance.now();
  if (batchSize === 0) await embedder.embed(texts);
  else if (batchSize === 1) for (const text of texts) await embedder.embed([text]);
  else {
    // With several worker sessions, keep one call in flight per worker (as concurrent requests
    // would); with one session, calls run one after another.
    const chunks: string[][] = [];
    for (let i = 0; i < texts.length; i += batchSize) chunks.push(texts.slice(i, i + batchSize));
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < chunks.length) await embedder.embed(chunks[next++] ?? []);
      }),
    );
  }
  const elapsed = performance.now() - started;
  await embedder.close();
  return rate(texts.length, elapsed);
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;
const peakRss: Record<string, number> = {};
for (const variant of ["int8", "fp32"] as const) {
  for (const batch of [1, 8, 32]) {
    for (const threads of [1, 2]) {
      const textsPerS = await timeSession(variant, threads, batch);
      rows.push({ runtime: "planvec", variant, mode: `${threads} thread(s)`, batch, textsPerS });
      console.log(`planvec ${variant} ${threads} thread(s) batch ${batch}: ${textsPerS.toFixed(1)} texts/s`);
    }
    if (batch === 32) {
      const textsPerS = await timeSession(variant, 2, batch, true);
      rows.push({ runtime: "planvec", variant, mode: "2 thread(s), spinning", batch, textsPerS });
      console.log(`planvec ${variant} 2 threads spinning batch ${batch}: ${textsPerS.toFixed(1)} texts/s`);
    }
    if (batch > 1) {
      const textsPerS = await timeSession(variant, 2, batch, false, 2);
      rows.push({ runtime: "planvec", variant, mode: "2 workers x 1 thread", batch, textsPerS });
      console.log(`planvec ${variant} 2 workers x 1 thread batch ${batch}: ${textsPerS.toFixed(1)} texts/s`);
    }
  }
  // The indexing path: one embed() call with every text, so sorting by length groups similar titles.
  for (const threads of [1, 2]) {
    const textsPerS = await timeSession(variant, threads, 0);
    rows.push({ runtime: "planvec", variant, mode: `${threads} thread(s), one call`, batch: 32, textsPerS });
    console.log(
      `planvec ${variant} ${threads} thread(s) all texts in one call: ${textsPerS.toFixed(1)} texts/s`,
    );
  }
  {
    // The default on 2 cores: two worker sessions of one thread, fed from one call.
    const textsPerS = await timeSession(variant, 2, 0, false, 2);
    rows.push({
      runtime: "planvec",
      variant,
      mode: "2 workers x 1 thread, one call (default)",
      batch: 32,
      textsPerS,
    });
    console.log(
      `planvec ${variant} 2 workers x 1 thread all texts in one call: ${textsPerS.toFixed(1)} texts/s`,
    );
  }
  peakRss[variant] = rssMb();
}

// One short query, the search path: median and p95 over 100 calls, cache off.
const latency: Record<string, { median: number; p95: number }> = {};
for (const [threads, workers] of [
  [1, 1],
  [2, 1],
  [2, 2],
] as const) {
  const embedder = await createEmbedder({ threads, workers, cache: false, env: {} });
  await embedder.embed(["échauffement"]);
  const samples: number[] = [];
  for (let i = 0; i < 100; i++) {
    const started = performance.now();
    await embedder.embed([`Vérifier l'existence du fichier ${i}`]);
    samples.push(performance.now() - started);
  }
  await embedder.close();
  samples.sort((a, b) => a - b);
  const label = workers > 1 ? `${workers} workers x 1 thread (default)` : `${threads} thread(s)`;
  latency[label] = { median: samples[50] ?? 0, p95: samples[95] ?? 0 };
  console.log(
    `query latency int8 ${label}: median ${samples[50]?.toFixed(2)} ms, p95 ${samples[95]?.toFixed(2)} ms`,
  );
}

// Warm L3: a second process re-embedding unchanged text only reads SQLite.
const cacheDir = mkdtempSync(join(tmpdir(), "planvec-bench-cache-"));
{
  const cold = await createEmbedder({
    cache: { diskPath: join(cacheDir, "e.sqlite"), redisUrl: null },
    env: {},
  });
  await cold.embed(texts);
  await cold.close();
  const warm = await createEmbedder({
    cache: { diskPath: join(cacheDir, "e.sqlite"), redisUrl: null },
    env: {},
  });
  const started = performance.now();
  await warm.embed(texts);
  const l3 = rate(texts.length, performance.now() - started);
  console.log(
    `warm disk cache (L3 hits, fresh L1): ${l3.toFixed(0)} texts/s, ${JSON.stringify(warm.cacheStats())}`,
  );
  await warm.close();
  rmSync(cacheDir, { recursive: true, force: true });
}

// Python sentence-transformers on the same texts.
let python: {
  torch: string;
  results: { threads: number; batch: number; texts_per_s: number }[];
  query_ms: number;
  peak_rss_mb: number;
} | null = null;
const venvPython = join(homedir(), ".cache", "planvec-peers", "venv", "bin", "python");
if (values["no-python"]) console.log("python: skipped (--no-python)");
else if (!existsSync(venvPython))
  console.log(`python: skipped, no ${venvPython} (run .ci/peers.d/embedding.sh once)`);
else {
  const file = join(tmpdir(), `planvec-bench-texts-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(texts));
  const run = spawnSync(venvPython, ["scripts/embedding/bench_python.py", file], {
    encoding: "utf8",
    env: { ...process.env, HF_HUB_OFFLINE: "1", TOKENIZERS_PARALLELISM: "false" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  rmSync(file, { force: true });
  if (run.status === 0) python = JSON.parse(run.stdout.trim().split("\n").pop() ?? "null");
  else console.log(`python: failed with status ${run.status}`);
}

console.log("\n| runtime | variant | mode | batch | texts/s | vs Python (same threads, batch) |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) {
  const threads = row.mode.startsWith("1 thread") ? 1 : 2;
  const ref = python?.results.find((r) => r.threads === threads && r.batch === row.batch);
  const ratio = ref ? `${(row.textsPerS / ref.texts_per_s).toFixed(2)}x` : "n/a";
  console.log(
    `| ${row.runtime} | ${row.variant} | ${row.mode} | ${row.batch} | ${row.textsPerS.toFixed(1)} | ${ratio} |`,
  );
}
for (const r of python?.results ?? []) {
  console.log(
    `| python ST ${python?.torch} | fp32 | ${r.threads} thread(s) | ${r.batch} | ${r.texts_per_s.toFixed(1)} | 1.00x |`,
  );
}
const best = rows.reduce((a, b) => (b.textsPerS > a.textsPerS ? b : a));
const bestPython = python ? Math.max(...python.results.map((r) => r.texts_per_s)) : null;
console.log(
  `\nbest planvec: ${best.textsPerS.toFixed(1)} texts/s (${best.variant}, ${best.mode}, batch ${best.batch}); target >= 200`,
);
if (bestPython)
  console.log(
    `best Python: ${bestPython.toFixed(1)} texts/s; best-vs-best ratio ${(best.textsPerS / bestPython).toFixed(2)}x (target >= 2.0x)`,
  );
console.log(
  `query latency (int8): ${JSON.stringify(latency)} ms; target <= 15 ms${python ? `; Python ${python.query_ms.toFixed(2)} ms` : ""}`,
);
console.log(
  `peak RSS planvec: after int8 runs ${peakRss.int8?.toFixed(0)} MB, after fp32 runs ${peakRss.fp32?.toFixed(0)} MB${python ? `; Python ${python.peak_rss_mb.toFixed(0)} MB` : ""}`,
);
