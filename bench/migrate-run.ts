/**
 * One migration in its own process so peak RSS is the migration's own (printed as JSON).
 * Usage: tsx bench/migrate-run.ts SOURCE STORE_DIR COLLECTION
 */
import { migrate } from "../src/migrate/engine.js";

const [source, storeDir, collection] = process.argv.slice(2) as [string, string, string];
const started = performance.now();
const report = await migrate({
  source,
  store: `embedded:${storeDir}`,
  collection,
  stateDir: `${storeDir}-state`,
  backup: false,
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({
    seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ok: report.ok,
    counts: report.counts,
    dims: report.target.dims,
  })}\n`,
);
