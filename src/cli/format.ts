/** Small helpers for readable terminal output. */

/** A text progress bar: `██████░░░░` for a percentage. */
export function bar(percent: number | null, width = 20): string {
  if (percent === null) return "·".repeat(width);
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}

export function formatPercent(percent: number | null): string {
  return percent === null ? "  n/a" : `${percent.toFixed(0).padStart(4)}%`;
}

/** Print JSON to stdout with a trailing newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
