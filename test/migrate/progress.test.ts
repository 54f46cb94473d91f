import { describe, expect, it } from "vitest";
import { createProgressBar, renderProgress } from "../../src/migrate/progress.js";

const at = (done: number, total: number | null) => ({
  done,
  total,
  unit: "bytes" as const,
  read: 10,
  written: 8,
  failed: 2,
});

describe("progress bar", () => {
  it("shows percent, counts and an ETA from the elapsed time", () => {
    const line = renderProgress(at(25, 100), 10_000, 100);
    expect(line).toMatch(/^\[#+\.+\] {2}25% {2}10 read {2}8 written {2}2 failed {2}ETA 0:30$/);
  });
  it("without a known total, shows counts and elapsed time", () => {
    expect(renderProgress(at(25, null), 65_000, 100)).toBe("10 read  8 written  2 failed  1:05");
  });
  it("stays within the terminal width", () => {
    expect(renderProgress(at(1, 3), 1000, 40).length).toBeLessThan(40);
  });
  it("draws nothing when the stream is not a TTY", () => {
    let written = "";
    const stream = { isTTY: false, write: (s: string) => (written += s) } as unknown as NodeJS.WriteStream;
    const bar = createProgressBar(stream);
    bar.update(at(1, 2));
    bar.done();
    expect(written).toBe("");
  });
  it("redraws in place on a TTY, throttled", () => {
    let written = "";
    let now = 0;
    const stream = {
      isTTY: true,
      columns: 80,
      write: (s: string) => (written += s),
    } as unknown as NodeJS.WriteStream;
    const bar = createProgressBar(stream, () => now);
    now = 200;
    bar.update(at(1, 2));
    now = 250;
    bar.update(at(2, 2)); // within 100 ms: skipped
    bar.done();
    expect(written.match(/\r/g)).toHaveLength(1);
    expect(written).toMatch(/50%/);
    expect(written.endsWith("\n")).toBe(true);
  });
});
