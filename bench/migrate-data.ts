/**
 * Generates the benchmark input: a legacy vectorizer file (format 1) of a given size, as the
 * Python script wrote it (`json.dumps` of `{"id", "vector", "payload"}` points, full-precision
 * Python float repr, random vectors). Deterministic for a given seed.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";

/** Small deterministic PRNG (mulberry32) so the bench input is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ["todo", "in_progress", "done", "blocked"];
const CATEGORIES = ["backend", "frontend", "infra", "docs", "tests"];

export function legacyPayload(i: number, random: () => number): Record<string, unknown> {
  return {
    taskId: `1.${Math.floor(i / 100)}.${i % 100}`,
    description: `Task ${i}: implement the ${CATEGORIES[i % 5]} part of phase ${Math.floor(i / 50)} — vérifier l'intégration`,
    status: STATUSES[i % 4],
    indentLevel: i % 4,
    parentId: i % 10 === 0 ? null : `1.${Math.floor(i / 100)}`,
    section: `Phase ${Math.floor(i / 50) + 1}`,
    isMVP: i % 3 === 0,
    priority: ["high", "medium", "low"][i % 3],
    estimatedTime: `${(i % 8) + 1}h`,
    category: CATEGORIES[i % 5],
    lastUpdated: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString(),
    filePath: `projet/roadmaps/plans/plan-dev-v${40 + (i % 20)}.md`,
    estimate: random() < 0.5 ? 1.5 : 2,
  };
}

/** Write a legacy JSON array of about `targetBytes` bytes; returns the number of points. */
export async function writeLegacyJson(
  path: string,
  dims: number,
  targetBytes: number,
  seed = 42,
): Promise<number> {
  const random = seededRandom(seed);
  const out = createWriteStream(path);
  let written = 0;
  let count = 0;
  const write = async (text: string): Promise<void> => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  };
  await write("[");
  while (written < targetBytes) {
    const vector = new Array<string>(dims);
    for (let d = 0; d < dims; d++) vector[d] = String(random() * 2 - 1);
    const point = `{"id": ${count}, "vector": [${vector.join(", ")}], "payload": ${JSON.stringify(legacyPayload(count, random))}}`;
    await write(count === 0 ? point : `, ${point}`);
    count++;
  }
  await write("]");
  out.end();
  await once(out, "finish");
  return count;
}
