/**
 * One migration in its own process so peak RSS is the migration's own (printed as JSON).
 * Usage: tsx bench/migrate-run.ts SOURCE STORE_DIR COLLECTION [write|dry-run|read-ahead]
 */
import { migrate } from "../src/migrate/engine.js";

const [source, storeDir, collection, mode] = process.argv.slice(2) as [
  string,
  string,
  string,
  string | undefined,
];
// Load the store modules before the clock starts: under tsx they are transpiled on first
// import (~0.5 s), which the built CLI (dist/) does not pay. Start-up is printed separately.
const loadStarted = performance.now();
await import("../src/store/embedded/store.js");
const loadSeconds = (performance.now() - loadStarted) / 1000;
const started = performance.now();
const cpuStarted = process.cpuUsage();
const report = await migrate({
  source,
  store: `embedded:${storeDir}`,
  collection,
  stateDir: `${storeDir}-state`,
  backup: false,
  dryRun: mode === "dry-run",
  readAhead: mode === "read-ahead",
});
const seconds = (performance.now() - started) / 1000;
// CPU time (user + system, all threads) is what an idle machine would need at least: on the
// shared bench machine wall time is inflated by other work, CPU time much less so.
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    seconds,
    cpuSeconds,
    loadSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ok: report.ok,
    counts: report.counts,
    dims: report.target.dims,
  })}\n`,
);
