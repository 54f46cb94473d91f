import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JobRegistry } from "../../../src/server/api/jobs.js";

const dir = mkdtempSync(join(tmpdir(), "planvec-jobs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("JobRegistry", () => {
  it("answers for finished jobs after a restart and marks jobs cut by the stop interrupted", async () => {
    const file = join(dir, "jobs.db");
    const first = JobRegistry.open(file);
    const done = first.start("import", async (_job, progress) => {
      progress({ read: 3 });
      return { written: 3 };
    });
    const failed = first.start("import", async (job) => {
      job.result = { written: 1, failed: 2 };
      throw new Error("2 records failed validation");
    });
    let release: () => void = () => {};
    const stuck = first.start("import", async (_job, progress) => {
      progress({ read: 10 });
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await first.drain(1_000);
    expect(first.get(done.id)?.state).toBe("succeeded");
    expect(first.get(stuck.id)?.state).toBe("running");
    first.close(); // the process stops with `stuck` still running

    const second = JobRegistry.open(file);
    try {
      expect(second.get(done.id)).toMatchObject({ state: "succeeded", result: { written: 3 }, error: null });
      expect(second.get(failed.id)).toMatchObject({
        state: "failed",
        result: { written: 1, failed: 2 },
        error: "2 records failed validation",
      });
      const cut = second.get(stuck.id);
      expect(cut).toMatchObject({ state: "interrupted", progress: { read: 10 } });
      expect(cut?.error).toMatch(/stopped while this job ran/);
      expect(cut?.finishedAt).not.toBeNull();
      expect(second.get("no-such-job")).toBeUndefined();
    } finally {
      release();
      second.close();
    }
  });

  it("works in memory without a file", async () => {
    const jobs = JobRegistry.open(null);
    const job = jobs.start("import", async () => 42);
    await jobs.drain(1_000);
    expect(jobs.get(job.id)).toMatchObject({ state: "succeeded", result: 42 });
    jobs.close();
  });
});
