/**
 * `npm run bench:migrate`: a generated 50 MB legacy vectorizer JSON (format 1) with 384-d and
 * with 1536-d vectors, migrated into a fresh embedded store: wall seconds (read, validate,
 * write durably, read back and verify every point) and peak RSS of the migrating process.
 * Targets: ≤ 3 s and ≤ 300 MB. Also prints the JSON reading speed of the hand-written
 * splitter against stream-json, the measurement behind that choice.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonArrayElements } from "../src/migrate/sources/json-array.js";
import { writeLegacyJson } from "./migrate-data.js";

const TARGET_BYTES = 50 * 1024 * 1024;
const runner = fileURLToPath(new URL("./migrate-run.ts", import.meta.url));

async function input(dims: number, bytes = TARGET_BYTES): Promise<string> {
  const path = join(tmpdir(), `planvec-bench-legacy-${dims}d-${Math.round(bytes / 1024 / 1024)}mb.json`);
  if (!existsSync(path)) await writeLegacyJson(path, dims, bytes);
  return path;
}

function migrateOnce(
  source: string,
  dims: number,
  mode = "write",
): { seconds: number; cpuSeconds: number; loadSeconds: number; peakRssMb: number; points: number } {
  const dir = execFileSync("mktemp", ["-d"]).toString().trim();
  try {
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", runner, source, join(dir, "store"), `legacy${dims}`, mode],
      {
        encoding: "utf8",
      },
    );
    const result = JSON.parse(out.trim().split("\n").pop() as string);
    if (!result.ok) throw new Error(`migration failed: ${out}`);
    return {
      seconds: result.seconds,
      cpuSeconds: result.cpuSeconds,
      loadSeconds: result.loadSeconds,
      peakRssMb: result.peakRssMb,
      points: mode === "dry-run" ? result.counts.read : result.counts.written,
    };
  } finally {
    execFileSync("rm", ["-rf", dir]);
  }
}

/** Baseline: RSS of a process that only loads the migration modules (tsx + store + SQLite). */
function baselineRss(): number {
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      "await import('./src/migrate/engine.ts'); await import('./src/store/embedded/store.ts'); console.log(process.resourceUsage().maxRSS / 1024)",
    ],
    { encoding: "utf8" },
  );
  return Number(out.trim());
}

async function splitterSeconds(path: string): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const group of jsonArrayElements(createReadStream(path, { highWaterMark: 1 << 20 }), {
    source: path,
  })) {
    for (const element of group) {
      JSON.parse(element.text);
      n++;
    }
  }
  if (n === 0) throw new Error("no elements");
  return (performance.now() - started) / 1000;
}

async function streamJsonSeconds(path: string): Promise<number> {
  // stream-json is CommonJS; its ESM default export carries the named functions.
  const { parser } = (await import("stream-json")).default as unknown as {
    parser: () => NodeJS.ReadWriteStream;
  };
  const { streamArray } = (await import("stream-json/streamers/StreamArray.js")).default as unknown as {
    streamArray: () => NodeJS.ReadWriteStream;
  };
  const started = performance.now();
  let n = 0;
  for await (const _ of createReadStream(path).pipe(parser()).pipe(streamArray())) n++;
  if (n === 0) throw new Error("no elements");
  return (performance.now() - started) / 1000;
}

const scratch = await mkdtemp(join(tmpdir(), "planvec-bench-migrate-"));
try {
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${cpus().length} cores`,
  );
  console.log(`baseline RSS (node + tsx + modules loaded): ${baselineRss().toFixed(0)} MB`);
  console.log(
    "| input | points | MB | wall s (best of 3; all runs) | CPU s of best | module load s | peak RSS MB | target (wall) |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const dims of [384, 1536]) {
    const path = await input(dims);
    const mb = statSync(path).size / 1e6;
    // Alternate the two modes so both see the same background load.
    for (const mode of ["write", "read-ahead"]) {
      const runs = [1, 2, 3].map(() => migrateOnce(path, dims, mode));
      const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
      const worstRss = Math.max(...runs.map((r) => r.peakRssMb));
      const ok = best.seconds <= 3 && worstRss <= 300 ? "met" : "MISSED";
      const label = mode === "write" ? "single thread (default)" : "--read-ahead worker";
      console.log(
        `| legacy JSON ${dims}-d, ${label} | ${best.points} | ${mb.toFixed(1)} | ${best.seconds.toFixed(2)} (${runs.map((r) => r.seconds.toFixed(2)).join(", ")}) | ${best.cpuSeconds.toFixed(2)} | ${best.loadSeconds.toFixed(2)} | ${worstRss.toFixed(0)} | ${ok} |`,
      );
    }
  }
  // Streaming: reading a 5× larger file must not need more memory (dry run: no store growth).
  const large = await input(384, 5 * TARGET_BYTES);
  const dry = migrateOnce(large, 384, "dry-run");
  console.log(
    `\nstreaming check, dry run of a ${(statSync(large).size / 1e6).toFixed(0)} MB 384-d file: ${dry.points} records in ${dry.seconds.toFixed(2)} s, peak RSS ${dry.peakRssMb.toFixed(0)} MB`,
  );
  const path = await input(1536);
  const mb = statSync(path).size / 1e6;
  const split = await splitterSeconds(path);
  const streamJson = await streamJsonSeconds(path);
  console.log(`\nJSON reading, 1536-d file (${mb.toFixed(1)} MB), elements decoded to objects:`);
  console.log(`  splitter + JSON.parse: ${split.toFixed(2)} s (${(mb / split).toFixed(0)} MB/s)`);
  console.log(
    `  stream-json parser + StreamArray: ${streamJson.toFixed(2)} s (${(mb / streamJson).toFixed(1)} MB/s)`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
} finally {
  await rm(scratch, { recursive: true, force: true });
}
