/**
 * A one-line progress bar with ETA for terminals. Redraws at most 10 times a second; prints
 * nothing when the stream is not a TTY (logs and pipes get the final report only).
 */
import type { MigrationProgress } from "./engine.js";

export interface ProgressBar {
  update(progress: MigrationProgress): void;
  done(): void;
}

export function createProgressBar(
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  const started = now();
  let last = 0;
  let drawn = false;
  return {
    update(progress) {
      const t = now();
      if (t - last < 100) return;
      last = t;
      stream.write(`\r${renderProgress(progress, t - started, stream.columns ?? 80)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\n");
    },
  };
}

/** The bar text: `[#####.....]  42%  12,345 read  0 failed  ETA 0:07`. Exported for tests. */
export function renderProgress(progress: MigrationProgress, elapsedMs: number, columns: number): string {
  const { done, total } = progress;
  const fraction = total !== null && total > 0 ? Math.min(1, done / total) : null;
  const counts = `${progress.read.toLocaleString("en")} read  ${progress.written.toLocaleString("en")} written  ${progress.failed} failed`;
  if (fraction === null) return `${counts}  ${formatDuration(elapsedMs)}`.slice(0, columns - 1);
  const eta = fraction > 0 ? (elapsedMs / fraction) * (1 - fraction) : Number.NaN;
  const tail = `${String(Math.floor(fraction * 100)).padStart(3)}%  ${counts}  ETA ${Number.isNaN(eta) ? "--:--" : formatDuration(eta)}`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 4));
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${tail}`.slice(0, columns - 1);
}

function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`
    : `${m}:${String(s).padStart(2, "0")}`;
}
