/** The migration report (JSON) and its human summary. */
import type { MigrationCounts } from "./checkpoint.js";
import type { InvalidRecord } from "./validate.js";

export interface ErrorSample {
  index: number;
  location: string;
  id: unknown;
  code: string;
  reason: string;
}

export interface MigrationReport {
  ok: boolean;
  dryRun: boolean;
  source: {
    spec: string;
    format: string;
    description: string;
    gzip: boolean;
    modelId: string | null;
    dims: number | null;
  };
  target: {
    store: string;
    collection: string;
    dims: number | null;
    distance: string | null;
    modelId: string | null;
    created: boolean;
    countBefore: number;
    countAfter: number | null;
  };
  /** How vectors got into the target: copied from the source, or re-embedded from a text field. */
  vectors: { mode: "copied" | "reembedded"; textField?: string; model?: string };
  counts: MigrationCounts & {
    /** Records already migrated by an earlier run, skipped on --resume. */
    skipped: number;
  };
  failureRate: number;
  maxFailureRate: number;
  rolledBack: boolean;
  rollbackReason: string | null;
  backupFile: string | null;
  resumedFromIndex: number | null;
  errorsByCode: Record<string, number>;
  /** The first errors (up to 50), with record index, location and reason. */
  errorSamples: ErrorSample[];
  warnings: string[];
  /** Fatal error that stopped the migration, if any. */
  fatal: string | null;
  durationMs: number;
  throughput: { recordsPerSecond: number; megabytesPerSecond: number | null };
  startedAt: string;
  finishedAt: string;
}

export const MAX_ERROR_SAMPLES = 50;

export function sampleOf(error: InvalidRecord | ErrorSample): ErrorSample {
  return {
    index: error.index,
    location: error.location,
    id: error.id,
    code: error.code,
    reason: error.reason,
  };
}

/** A few lines a person reads after the run. */
export function formatReport(report: MigrationReport): string {
  const c = report.counts;
  const lines: string[] = [];
  const verdict = report.ok
    ? report.dryRun
      ? "dry run OK: nothing was written"
      : "migration OK"
    : report.rolledBack
      ? "migration FAILED and was rolled back"
      : report.dryRun
        ? "dry run found problems: nothing was written"
        : "migration finished WITH FAILURES";
  lines.push(`${verdict}`);
  lines.push(
    `  source  ${report.source.description} (${report.source.format}${report.source.gzip ? ", gzip" : ""}${
      report.source.dims ? `, ${report.source.dims}-d` : ""
    }, model ${report.source.modelId ?? "unknown"})`,
  );
  lines.push(
    `  target  ${report.target.store} collection ${report.target.collection}${report.target.created ? " (created)" : ""} ` +
      `${report.target.dims ?? "?"}-d ${report.target.distance ?? ""}, model ${report.target.modelId ?? "unknown"}; ` +
      `points ${report.target.countBefore} → ${report.target.countAfter ?? "?"}`,
  );
  lines.push(
    report.vectors.mode === "reembedded"
      ? `  vectors re-embedded from payload.${report.vectors.textField} with ${report.vectors.model}`
      : "  vectors copied from the source",
  );
  lines.push(
    `  records read ${c.read}, written ${c.written}, skipped ${c.skipped}, failed ${c.failed}, duplicates ${c.duplicates}`,
  );
  if (!report.dryRun) {
    lines.push(`  integrity ${c.verified} verified, ${c.integrityFailures} mismatched`);
  }
  lines.push(
    `  failure rate ${(report.failureRate * 100).toFixed(2)} % (max ${(report.maxFailureRate * 100).toFixed(2)} %)`,
  );
  lines.push(
    `  ${(report.durationMs / 1000).toFixed(2)} s, ${Math.round(report.throughput.recordsPerSecond)} records/s` +
      (report.throughput.megabytesPerSecond === null
        ? ""
        : `, ${report.throughput.megabytesPerSecond.toFixed(1)} MB/s`),
  );
  if (report.backupFile)
    lines.push(`  backup  ${report.backupFile} (planvec restore ${report.backupFile} ...)`);
  if (report.rollbackReason) lines.push(`  rollback: ${report.rollbackReason}`);
  if (report.fatal) lines.push(`  error: ${report.fatal}`);
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  const codes = Object.entries(report.errorsByCode);
  if (codes.length > 0)
    lines.push(`  errors by kind: ${codes.map(([code, n]) => `${code} ${n}`).join(", ")}`);
  for (const sample of report.errorSamples.slice(0, 10)) {
    lines.push(
      `    #${sample.index} ${sample.location} id ${JSON.stringify(sample.id)}: ${sample.code}: ${sample.reason}`,
    );
  }
  if (report.errorSamples.length > 10)
    lines.push(`    … ${report.errorSamples.length - 10} more samples in the JSON report`);
  return `${lines.join("\n")}\n`;
}
