/**
 * `npm run bench:store`: the embedded store on synthetic clustered 384-d data.
 *
 * Per size (default 10k and 100k points, 1,000 queries):
 * - bulk upsert points/s (durable: every batch is an fsynced SQLite transaction) and the
 *   latency of the first search right after (searchable at once, by exact scan);
 * - plain exact scan: p50/p99 top-10, unfiltered and with a filter keeping 10 %;
 * - background HNSW build time; then, in a fresh child process that only reopens the store
 *   (so the RSS is the store's, not the generator's): reopen time, p50/p99 and recall@10
 *   against the exact results, unfiltered and filtered, RSS, disk size; then the same reopen
 *   and queries in plain node on the compiled dist/ (built first), whose RSS is what users get.
 *
 * Usage: tsx bench/store.bench.ts [--sizes 10000,100000] [--queries 1000]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Filter, Point } from "../src/store/contract.js";
import { EmbeddedStore } from "../src/store/embedded/store.js";

const DIMS = 384;
const FILTER: Filter = { must: [{ key: "bucket", match: { value: 3 } }] };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** xorshift32 uniform in [0,1) and a Box-Muller normal. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  return { u, n: () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u()) };
}

/**
 * Clustered data shaped like sentence embeddings: unit vectors around 1 center per 100
 * points, noise of the same norm as the center, so a point's cosine to its own center is
 * ≈0.7 and to another cluster's ≈0 (real text embeddings: same topic 0.5-0.8).
 */
function dataset(n: number, queries: number, seed: number) {
  const r = rng(seed);
  const k = Math.max(10, Math.floor(n / 100));
  const centers = new Float32Array(k * DIMS);
  for (let i = 0; i < centers.length; i++) centers[i] = r.n() / Math.sqrt(DIMS);
  const sigma = 1 / Math.sqrt(DIMS);
  const make = (count: number) => {
    const out = new Float32Array(count * DIMS);
    const cluster = new Int32Array(count);
    for (let p = 0; p < count; p++) {
      const c = Math.floor(r.u() * k);
      cluster[p] = c;
      let norm = 0;
      for (let d = 0; d < DIMS; d++) {
        const x = (centers[c * DIMS + d] as number) + sigma * r.n();
        out[p * DIMS + d] = x;
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      for (let d = 0; d < DIMS; d++) out[p * DIMS + d] = (out[p * DIMS + d] as number) / norm;
    }
    return { vectors: out, cluster };
  };
  const points = make(n);
  const qs = make(queries);
  return { points, queries: qs.vectors };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

async function timeQueries(
  store: EmbeddedStore,
  queries: Float32Array,
  count: number,
  filter: Filter | undefined,
  exact: boolean,
): Promise<{ p50: number; p99: number; results: number[][] }> {
  const lat: number[] = [];
  const results: number[][] = [];
  for (let q = 0; q < count; q++) {
    const v = queries.subarray(q * DIMS, (q + 1) * DIMS);
    const t = performance.now();
    const hits = await store.search("bench", v, {
      limit: 10,
      withPayload: false,
      exact,
      ...(filter ? { filter } : {}),
    });
    lat.push(performance.now() - t);
    results.push(hits.map((h) => h.id as number));
  }
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), results };
}

function recall(got: number[][], truth: number[][]): number {
  let hit = 0;
  let total = 0;
  got.forEach((g, i) => {
    const t = new Set(truth[i]);
    total += t.size;
    for (const id of g) if (t.has(id)) hit++;
  });
  return total === 0 ? 1 : hit / total;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Child mode: reopen the store, query through the index, report. */
async function serve(dir: string, queriesFile: string): Promise<void> {
  const { queries, truth, truthFiltered, count } = JSON.parse(readFileSync(queriesFile, "utf8")) as {
    queries: number[];
    truth: number[][];
    truthFiltered: number[][];
    count: number;
  };
  const qv = Float32Array.from(queries);
  const t0 = performance.now();
  const store = await EmbeddedStore.open(dir, { backgroundIndexing: false });
  await store.search("bench", qv.subarray(0, DIMS), { limit: 10 });
  const reopenMs = performance.now() - t0;
  const info = await store.collectionInfo("bench");
  const un = await timeQueries(store, qv, count, undefined, false);
  const fi = await timeQueries(store, qv, count, FILTER, false);
  const out = {
    reopenMs,
    indexed: info.indexedCount,
    p50: un.p50,
    p99: un.p99,
    recall: recall(un.results, truth),
    fp50: fi.p50,
    fp99: fi.p99,
    frecall: recall(fi.results, truthFiltered),
    rss: process.memoryUsage().rss,
    heapUsed: process.memoryUsage().heapUsed,
  };
  await store.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function run(n: number, queryCount: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "planvec-bench-store-"));
  try {
    const { points, queries } = dataset(n, queryCount, 42);
    const store = await EmbeddedStore.open(dir);
    await store.ensureCollection("bench", { dims: DIMS, distance: "Cosine" });
    function* gen(): Iterable<Point> {
      for (let i = 0; i < n; i++) {
        yield {
          id: i,
          vector: points.vectors.subarray(i * DIMS, (i + 1) * DIMS),
          payload: { cluster: points.cluster[i], bucket: i % 10, title: `chunk ${i}` },
        };
      }
    }
    const t0 = performance.now();
    await store.upsert("bench", gen(), { batchSize: 5_000 });
    const upsertS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await store.search("bench", queries.subarray(0, DIMS), { limit: 10 });
    const firstSearchMs = performance.now() - t1;

    const ex = await timeQueries(store, queries, queryCount, undefined, true);
    const exf = await timeQueries(store, queries, queryCount, FILTER, true);
    const tIdx = performance.now();
    await store.waitForIndexing();
    const indexS = (performance.now() - tIdx) / 1000;
    const info = await store.collectionInfo("bench");
    await store.close();

    const qfile = join(dir, "queries.json");
    writeFileSync(
      qfile,
      JSON.stringify({
        queries: Array.from(queries),
        truth: ex.results,
        truthFiltered: exf.results,
        count: queryCount,
        dims: DIMS,
        filter: FILTER,
      }),
    );
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "--serve", dir, qfile],
      { encoding: "utf8", maxBuffer: 1 << 24 },
    );
    if (child.status !== 0) throw new Error(`serve child failed: ${child.stderr}`);
    const s = JSON.parse(child.stdout.trim().split("\n").pop() as string);
    // The same reopen and queries with the compiled code users run (node on dist/, no tsx).
    const prod = spawnSync(
      process.execPath,
      [fileURLToPath(new URL("./store-rss-child.mjs", import.meta.url)), dir, qfile],
      {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      },
    );
    if (prod.status !== 0) throw new Error(`dist child failed: ${prod.stderr}`);
    const p = JSON.parse(prod.stdout.trim().split("\n").pop() as string) as { rss: number; heapUsed: number };
    rmSync(qfile);
    const disk = Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);

    const f = (x: number) => x.toFixed(2);
    console.log(`\n== ${n.toLocaleString("en")} points × ${DIMS}d, ${queryCount} queries, top-10 ==`);
    console.log(
      `bulk upsert (durable, fsync per 5k batch): ${Math.round(n / upsertS).toLocaleString("en")} points/s (${upsertS.toFixed(2)} s)`,
    );
    console.log(`first search right after upsert (exact, searchable at once): ${f(firstSearchMs)} ms`);
    console.log(
      `exact scan        unfiltered p50 ${f(ex.p50)} ms  p99 ${f(ex.p99)} ms   10% filter p50 ${f(exf.p50)} ms  p99 ${f(exf.p99)} ms   recall 1 (reference)`,
    );
    console.log(
      `background HNSW build: ${indexS.toFixed(1)} s (${Math.round(n / Math.max(indexS, 1e-9)).toLocaleString("en")} points/s), indexed ${info.indexedCount}`,
    );
    console.log(`reopen (open + first query, fresh process): ${f(s.reopenMs)} ms, indexed ${s.indexed}`);
    console.log(
      `HNSW path         unfiltered p50 ${f(s.p50)} ms  p99 ${f(s.p99)} ms  recall@10 ${s.recall.toFixed(4)}`,
    );
    console.log(
      `                  10% filter p50 ${f(s.fp50)} ms  p99 ${f(s.fp99)} ms  recall@10 ${s.frecall.toFixed(4)}`,
    );
    console.log(
      `RSS serving (fresh process after reopen + queries): ${mb(p.rss)} running dist/ with node ` +
        `(JS heap ${mb(p.heapUsed)}; the rest: vector slab in wasm memory, HNSW graph, SQLite, code); ` +
        `${mb(s.rss)} from sources under tsx   disk: ${mb(disk)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const serveAt = process.argv.indexOf("--serve");
  if (serveAt >= 0) {
    await serve(process.argv[serveAt + 1] as string, process.argv[serveAt + 2] as string);
    return;
  }
  const sizes = arg("sizes", "10000,100000").split(",").map(Number);
  const queries = Number(arg("queries", "1000"));
  console.log(`planvec embedded store benchmark — ${new Date().toISOString()}, Node ${process.version}`);
  // The RSS child runs the compiled code: build dist/ from the current sources first.
  execFileSync(
    process.execPath,
    [
      fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url)),
      "-p",
      "tsconfig.build.json",
    ],
    {
      stdio: "inherit",
    },
  );
  for (const n of sizes) await run(n, queries);
}

void main();
