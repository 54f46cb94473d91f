// Child of bench/store.bench.ts: opens a store with the compiled code users run (dist/, plain
// node, no tsx), answers the bench's queries without and with its filter, prints its RSS.
// Usage: node bench/store-rss-child.mjs STORE_DIR QUERIES_JSON
import { readFileSync } from "node:fs";

const { EmbeddedStore } = await import(new URL("../dist/store/embedded/store.js", import.meta.url).href);
const [dir, queriesFile] = process.argv.slice(2);
const { queries, count, dims, filter } = JSON.parse(readFileSync(queriesFile, "utf8"));
const qv = Float32Array.from(queries);
const store = await EmbeddedStore.open(dir, { backgroundIndexing: false });
for (const f of [undefined, filter]) {
  for (let q = 0; q < count; q++) {
    await store.search("bench", qv.subarray(q * dims, (q + 1) * dims), {
      limit: 10,
      withPayload: false,
      ...(f ? { filter: f } : {}),
    });
  }
}
const { rss, heapUsed } = process.memoryUsage();
await store.close();
process.stdout.write(`${JSON.stringify({ rss, heapUsed })}\n`);
