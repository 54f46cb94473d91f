/**
 * Crash safety: a child process upserts continuously and is killed with SIGKILL at random
 * moments, many times. After every kill the store must reopen, and at the end every
 * acknowledged write must be present with at least the acknowledged version, the SQLite file
 * must pass integrity_check, and memory, count and search must agree.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedStore } from "../../src/store/embedded/store.js";
import { vectorFor } from "./helpers/crash-data.js";

const CHILD = join(import.meta.dirname, "helpers", "crash-writer.ts");
const ROUNDS = 10;

interface Acked {
  /** id → minimum round it must show. */
  rounds: Map<number, number>;
  next: number;
}

function runUntilKilled(
  dir: string,
  start: number,
  round: number,
  killAfterMs: number,
  acked: Acked,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", CHILD, dir, String(start), String(round)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let buffered = "";
    let stderr = "";
    let timer: NodeJS.Timeout | null = null;
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
        if (line === "READY") {
          timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
          continue;
        }
        const [tag, from, to, r, updated] = line.split(" ");
        if (tag !== "ACK") continue;
        for (let id = Number(from); id <= Number(to); id++) acked.rounds.set(id, Number(r));
        for (const u of (updated ?? "").split(",").filter(Boolean)) acked.rounds.set(Number(u), Number(r));
        acked.next = Math.max(acked.next, Number(to) + 1);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
    });
  });
}

describe("embedded store crash safety", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it(`keeps every acknowledged write across ${ROUNDS} SIGKILLs mid-upsert`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "planvec-crash-"));
    dirs.push(dir);
    const acked: Acked = { rounds: new Map(), next: 0 };
    let seed = 12345;
    for (let round = 1; round <= ROUNDS; round++) {
      seed = (seed * 48271) % 2147483647;
      const killAfter = 20 + (seed % 400);
      await runUntilKilled(dir, acked.next, round, killAfter, acked);
    }
    expect(acked.rounds.size).toBeGreaterThan(200);

    const raw = new Database(join(dir, "store.db"));
    expect(raw.prepare("PRAGMA integrity_check").raw(true).get()).toEqual(["ok"]);
    raw.close();

    const store = await EmbeddedStore.open(dir, { backgroundIndexing: false });
    try {
      const ids = [...acked.rounds.keys()];
      const got = await store.get("crash", ids, { withVector: true });
      expect(got.length).toBe(ids.length);
      for (const p of got) {
        const id = p.id as number;
        expect(p.payload?.id).toBe(id);
        expect(p.payload?.round as number).toBeGreaterThanOrEqual(acked.rounds.get(id) as number);
        const v = vectorFor(id, 16);
        const norm = Math.hypot(...v);
        p.vector?.forEach((x, j) => {
          expect(x).toBeCloseTo((v[j] as number) / norm, 5);
        });
      }
      // Writes after the last acknowledgement may or may not be there, never half of a batch
      // in a broken state: count, scroll and search all see the same points.
      const total = await store.count("crash");
      expect(total).toBeGreaterThanOrEqual(ids.length);
      let scrolled = 0;
      let cursor: number | string | null = null;
      do {
        const page = await store.scroll("crash", { limit: 500, cursor, withPayload: false });
        scrolled += page.points.length;
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(scrolled).toBe(total);
      const probe = ids[Math.floor(ids.length / 2)] as number;
      const hits = await store.search("crash", vectorFor(probe, 16), { limit: 1 });
      expect(hits[0]?.id).toBe(probe);
    } finally {
      await store.close();
    }
  }, 120_000);
});
