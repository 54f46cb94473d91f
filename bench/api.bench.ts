/**
 * `npm run bench:api`: `POST /api/v1/vectors/search` on `planvec serve` (auth + rate limit +
 * validation + metrics all on), 100 connections (autocannon), over 10k points:
 *   1. with a vector (target ≥ 2,000 req/s, p99 ≤ 50 ms),
 *   2. with a text embedded per request, embedding cache disabled (target ≥ 100 req/s).
 * Then a soak of BENCH_SOAK_SECONDS (60) of vector load, reporting the server's RSS before and after.
 *
 * The server runs in its own process (the real CLI). Environment: BENCH_POINTS (10000),
 * BENCH_SECONDS (15), BENCH_CONNECTIONS (100), BENCH_SOAK_SECONDS (60; 0 skips), BENCH_TEXT (1; 0
 * skips the text-search run), BENCH_SERVER_NODE_ARGS (extra node flags for the server, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { ApiKeyStore } from "../src/managers/api-keys.js";
import { openStore } from "../src/store/index.js";

const POINTS = Number(process.env.BENCH_POINTS ?? 10_000);
const DIMS = 384;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SOAK = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const TEXT = process.env.BENCH_TEXT !== "0";
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
const entry = fileURLToPath(new URL("../src/cli/run.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url));

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** utime + stime of a process, in ms (from /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function load(url: string, key: string, body: object, seconds: number, pid: number) {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url: `${url}/api/v1/vectors/search`,
    method: "POST",
    connections: CONNECTIONS,
    duration: seconds,
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(body),
  });
  return {
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuPerRequestMs: Number(((cpuMs(pid) - cpuBefore) / Math.max(1, result.requests.total)).toFixed(2)),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "planvec-bench-api-"));
  let server: ChildProcess | undefined;
  try {
    const store = await openStore(`embedded:${join(dir, "store")}`);
    await store.ensureCollection("bench", { dims: DIMS, distance: "Cosine" });
    const random = seeded(42);
    const centres = Array.from({ length: 50 }, () => Array.from({ length: DIMS }, random));
    for (let start = 0; start < POINTS; start += 1000) {
      const points = Array.from({ length: Math.min(1000, POINTS - start) }, (_, j) => ({
        id: start + j,
        vector: (centres[(start + j) % 50] as number[]).map((x) => x + random() * 0.3),
        payload: { n: start + j },
      }));
      await store.upsert("bench", points);
    }
    // Wait for the ANN index to cover every point (it is built in the background), as a server
    // that has been up a while would have it; otherwise searches are exact scans.
    const waitStart = Date.now();
    for (;;) {
      const info = await store.collectionInfo("bench");
      if (info.status === "green" && (info.indexedCount ?? info.pointCount) >= POINTS) break;
      if (Date.now() - waitStart > 120_000)
        throw new Error(`index not ready after 120 s: ${JSON.stringify(info)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`ANN index ready ${((Date.now() - waitStart) / 1000).toFixed(1)} s after the upserts`);
    await store.close();
    const keys = ApiKeyStore.open(join(dir, "service.db"));
    const key = keys.create(["read"]).key;
    keys.close();
    writeFileSync(
      join(dir, "planvec.yaml"),
      `dataDir: ${dir}\nlogLevel: warn\nenv: production\nstore:\n  spec: embedded:${join(dir, "store")}\nserver:\n  rateLimitMax: 100000000\nembedding:\n  cache: false\n`,
    );
    server = spawn(process.execPath, [...SERVER_NODE_ARGS, "--import", tsx, entry, "serve", "--port", "0"], {
      env: { ...process.env, CONFIG_PATH: join(dir, "planvec.yaml"), REDIS_URL: "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      server?.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
        const match = /on (http:\/\/[^ ]+) /.exec(out);
        if (match) resolve(match[1] as string);
      });
      server?.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    const pid = server.pid as number;
    const vector = Array.from({ length: DIMS }, random);
    console.log(
      `planvec serve: ${POINTS} points × ${DIMS} dims, ${CONNECTIONS} connections, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`,
    );
    await load(url, key, { collection: "bench", vector, limit: 10 }, 3, pid); // warm-up
    const vectorRun = await load(url, key, { collection: "bench", vector, limit: 10 }, SECONDS, pid);
    console.log(
      `vector search: ${vectorRun.reqPerSec} req/s, p50 ${vectorRun.p50} ms, p99 ${vectorRun.p99} ms, non-2xx ${vectorRun.non2xx}, errors ${vectorRun.errors}, server CPU ${vectorRun.cpuPerRequestMs} ms/request (target ≥ 2000 req/s, p99 ≤ 50 ms)`,
    );
    if (TEXT) {
      const textRun = await load(
        url,
        key,
        { collection: "bench", text: "rotate the write-ahead log of the embedded store", limit: 10 },
        SECONDS,
        pid,
      );
      console.log(
        `text search (embedding per request, cache off): ${textRun.reqPerSec} req/s, p50 ${textRun.p50} ms, p99 ${textRun.p99} ms, non-2xx ${textRun.non2xx}, server CPU ${textRun.cpuPerRequestMs} ms/request (target ≥ 100 req/s)`,
      );
    }
    if (SOAK > 0) {
      const before = rssMb(pid);
      const soak = await load(url, key, { collection: "bench", vector, limit: 10 }, SOAK, pid);
      const after = rssMb(pid);
      console.log(
        `soak ${SOAK} s vector load: ${soak.reqPerSec} req/s; server RSS ${before} MB at start, ${after} MB at end`,
      );
    }
  } finally {
    server?.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
