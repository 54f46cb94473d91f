/**
 * Child process of the crash test: upserts batches forever into an embedded store and prints
 * `ACK <from> <to> <round>` after each upsert resolves (i.e. once it is acknowledged). Some
 * batches rewrite earlier ids with the current round, so updates are covered too. The parent
 * kills it with SIGKILL at a random moment.
 */
import { EmbeddedStore } from "../../../src/store/embedded/store.js";
import { vectorFor } from "./crash-data.js";

async function main(): Promise<void> {
  const [dir, startArg, roundArg] = process.argv.slice(2);
  let next = Number(startArg);
  const round = Number(roundArg);
  const dims = 16;
  // A low index threshold makes background HNSW builds run (and get killed) during the test.
  const store = await EmbeddedStore.open(dir as string, { hnswThreshold: 300, buildDelayMs: 10 });
  await store.ensureCollection("crash", { dims, distance: "Cosine" });
  process.stdout.write("READY\n");
  let seed = round * 7919 + 1;
  const rand = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  for (;;) {
    const size = 1 + Math.floor(rand() * 150);
    const points = [];
    for (let i = 0; i < size; i++) {
      const id = next + i;
      points.push({ id, vector: vectorFor(id, dims), payload: { id, round, tag: `t${id % 5}` } });
    }
    // Rewrite a few earlier ids in the same acknowledged batch.
    const updated: number[] = [];
    if (next > 0) {
      for (let i = 0; i < 3; i++) {
        const id = Math.floor(rand() * next);
        updated.push(id);
        points.push({ id, vector: vectorFor(id, dims), payload: { id, round, tag: `t${id % 5}` } });
      }
    }
    await store.upsert("crash", points, { batchSize: 64 + Math.floor(rand() * 200) });
    process.stdout.write(`ACK ${next} ${next + size - 1} ${round} ${updated.join(",")}\n`);
    next += size;
  }
}

void main();
