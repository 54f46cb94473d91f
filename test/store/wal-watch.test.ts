import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { WalChangeDetector } from "../../src/store/embedded/wal-watch.js";

const dir = mkdtempSync(join(tmpdir(), "planvec-wal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("WalChangeDetector", () => {
  it("sees every commit, by this connection or another, and nothing else", () => {
    const file = join(dir, "a.db");
    const mine = new Database(file);
    mine.pragma("journal_mode = WAL");
    mine.exec("CREATE TABLE t (x INTEGER)");
    const other = new Database(file);
    const watch = new WalChangeDetector(file);
    try {
      watch.remember();
      expect(watch.mayHaveChanged()).toBe(false);
      mine.prepare("SELECT count(*) FROM t").get(); // reads change nothing
      expect(watch.mayHaveChanged()).toBe(false);
      for (const [db, n] of [
        [other, 1],
        [mine, 2],
        [other, 3],
      ] as const) {
        db.prepare("INSERT INTO t VALUES (?)").run(n);
        expect(watch.mayHaveChanged()).toBe(true);
        watch.remember();
        expect(watch.mayHaveChanged()).toBe(false);
      }
      // A checkpoint that restarts the WAL changes the header too.
      other.pragma("wal_checkpoint(TRUNCATE)");
      other.prepare("INSERT INTO t VALUES (4)").run();
      expect(watch.mayHaveChanged()).toBe(true);
    } finally {
      watch.close();
      other.close();
      mine.close();
    }
  });

  it("once per turn: trusts an unchanged header until the event loop's next turn, then sees the commit", async () => {
    const file = join(dir, "b.db");
    const mine = new Database(file);
    mine.pragma("journal_mode = WAL");
    mine.exec("CREATE TABLE t (x INTEGER)");
    const other = new Database(file);
    const perTurn = new WalChangeDetector(file, "once-per-turn");
    const everyCall = new WalChangeDetector(file);
    try {
      perTurn.remember();
      everyCall.remember();
      expect(perTurn.mayHaveChanged()).toBe(false);
      other.prepare("INSERT INTO t VALUES (1)").run();
      // Same turn: the per-turn detector still trusts what it read; the other one sees it.
      expect(perTurn.mayHaveChanged()).toBe(false);
      expect(everyCall.mayHaveChanged()).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(perTurn.mayHaveChanged()).toBe(true);
      perTurn.remember();
      expect(perTurn.mayHaveChanged()).toBe(false);
    } finally {
      perTurn.close();
      everyCall.close();
      other.close();
      mine.close();
    }
  });

  it("says 'ask SQLite' when there is no -shm file to read", () => {
    const watch = new WalChangeDetector(join(dir, "missing.db"));
    watch.remember();
    expect(watch.mayHaveChanged()).toBe(true);
    watch.close();
  });
});
