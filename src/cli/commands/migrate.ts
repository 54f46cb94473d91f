import { writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../../core/errors.js";
import { type MigrateOptions, type MigrationEmbedder, migrate, restoreBackup } from "../../migrate/engine.js";
import { createProgressBar } from "../../migrate/progress.js";
import { SOURCE_FORMATS, type SourceFormat } from "../../migrate/record.js";
import { formatReport } from "../../migrate/report.js";
import { DEFAULT_STORE_SPEC } from "../../store/contract.js";
import { ExitCode } from "../exit-codes.js";
import { printJson } from "../format.js";

interface MigrateFlags {
  to: string;
  collection: string;
  format?: SourceFormat;
  batchSize: number;
  dryRun?: boolean;
  resume?: boolean;
  restart?: boolean;
  report?: string;
  reembed?: boolean;
  textField?: string;
  idMap: "uuid5" | "keep";
  onDuplicate: "error" | "last-wins";
  maxFailureRate: number;
  backup: boolean;
  stateDir: string;
  sidecar?: string;
  vectorName?: string;
  sourceCollection?: string;
  payloadMap?: Record<string, string>;
  distance?: "Cosine" | "Dot" | "Euclid";
  acceptModelMismatch?: boolean;
  progress: boolean;
  readAhead?: boolean;
  json?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError("expected a number between 0 and 1");
  return n;
}

function keyMap(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...previous };
  for (const pair of value.split(",")) {
    const [from, to] = pair.split("=");
    if (!from || !to) throw new InvalidArgumentError("expected OLD=NEW[,OLD=NEW...]");
    out[from.trim()] = to.trim();
  }
  return out;
}

/** Adapt issue 3's embedder (loaded only when --reembed is given: it loads an ONNX model). */
async function loadEmbedder(): Promise<MigrationEmbedder & { close(): Promise<void> }> {
  const { createEmbedder } = await import("../../embedding/embedder.js");
  return createEmbedder();
}

/** `planvec migrate SOURCE --to STORE --collection C` and `planvec restore BACKUP`. */
export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description(
      "Copy vectors from legacy files (JSON, JSON Lines, .npy, pickle, gzip of any) or a running Qdrant collection into a store, " +
        "validating every record, backing up the target first and rolling back when too many records fail",
    )
    .argument("<source>", "file, or qdrant:URL / http(s)://HOST:PORT/collections/NAME")
    .option("--to <store>", "target store: embedded:PATH or qdrant:URL", DEFAULT_STORE_SPEC)
    .requiredOption("--collection <name>", "target collection (created when missing)")
    .addOption(
      new Option("--format <format>", "source format (default: detected from content)").choices(
        SOURCE_FORMATS,
      ),
    )
    .option("--batch-size <n>", "points per write", positiveInt, 500)
    .option("--dry-run", "read and validate everything, write nothing")
    .option("--resume", "continue an interrupted migration from its checkpoint")
    .option("--restart", "discard the checkpoint of an interrupted migration and start over")
    .option("--report <file>", "write the JSON report to FILE")
    .option("--reembed", "embed a payload text field instead of copying the vectors (needs --text-field)")
    .option("--text-field <field>", "payload field to embed with --reembed (e.g. description)")
    .addOption(
      new Option(
        "--id-map <mode>",
        "ids that are not unsigned integers or UUIDs: uuid5 (original kept in payload.original_id) or keep (reject them)",
      )
        .choices(["uuid5", "keep"])
        .default("uuid5"),
    )
    .addOption(
      new Option("--on-duplicate <policy>", "a repeated id: error (record fails) or last-wins")
        .choices(["error", "last-wins"])
        .default("error"),
    )
    .option("--max-failure-rate <rate>", "roll back when more than this fraction of records fail", rate, 0.05)
    .option("--no-backup", "do not back up the target collection first (disables rollback)")
    .option("--state-dir <dir>", "where checkpoints and backups are kept", ".planvec/migrate")
    .option("--sidecar <file>", ".npy only: JSON/JSONL of ids and payloads (default: same base name)")
    .option("--vector-name <name>", "named vector to read (Qdrant named vectors)")
    .option("--source-collection <name>", "Qdrant source: collection name when not in the URL")
    .option("--payload-map <old=new,...>", "rename payload keys on the way", keyMap)
    .addOption(
      new Option("--distance <distance>", "distance of a created collection").choices([
        "Cosine",
        "Dot",
        "Euclid",
      ]),
    )
    .option(
      "--accept-model-mismatch",
      "copy vectors into a collection recorded with another (or unknown) model",
    )
    .option("--no-progress", "no progress bar")
    .option(
      "--read-ahead",
      "decode JSON/JSONL sources in a worker thread (can help on idle multi-core machines)",
    )
    .option("--json", "print the JSON report instead of the summary")
    .addHelpText(
      "after",
      "\nExit codes: 0 every record migrated and verified (dry run: every record valid); 2 refused before writing\n" +
        "(dimension/model mismatch, checkpoint conflict, unreadable input); 3 any record failed, or the run was rolled back or stopped.",
    )
    .action(async (source: string, flags: MigrateFlags) => {
      if (flags.reembed && !flags.textField)
        throw new UsageError("migrate", "usage", "--reembed needs --text-field FIELD");
      if (flags.restart && flags.resume)
        throw new UsageError("migrate", "usage", "--resume and --restart exclude each other");
      const embedder = flags.reembed && !flags.dryRun ? await loadEmbedder() : undefined;
      const bar = flags.progress
        ? createProgressBar()
        : createProgressBar({ isTTY: false } as NodeJS.WriteStream);
      const options: MigrateOptions = {
        source,
        store: flags.to,
        collection: flags.collection,
        format: flags.format,
        sidecar: flags.sidecar,
        vectorName: flags.vectorName,
        sourceCollection: flags.sourceCollection,
        batchSize: flags.batchSize,
        dryRun: flags.dryRun,
        resume: flags.resume,
        restart: flags.restart,
        idMap: flags.idMap,
        onDuplicate: flags.onDuplicate,
        maxFailureRate: flags.maxFailureRate,
        backup: flags.backup,
        stateDir: flags.stateDir,
        distance: flags.distance,
        payloadMap: flags.payloadMap,
        embedder,
        textField: flags.reembed ? flags.textField : undefined,
        acceptModelMismatch: flags.acceptModelMismatch,
        readAhead: flags.readAhead,
        onProgress: (progress) => bar.update(progress),
      };
      let report: Awaited<ReturnType<typeof migrate>>;
      try {
        report = await migrate(options);
      } finally {
        bar.done();
        await embedder?.close();
      }
      if (flags.report) await writeFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
      if (flags.json) printJson(report);
      else process.stdout.write(formatReport(report));
      if (!report.ok) process.exitCode = ExitCode.Runtime;
    });

  program
    .command("restore")
    .description(
      "Replace a collection with a backup taken by `planvec migrate` (or any `planvec store export` file)",
    )
    .argument("<backup>", "backup file (.planvec.jsonl.gz)")
    .option("--to <store>", "store: embedded:PATH or qdrant:URL", DEFAULT_STORE_SPEC)
    .option("--collection <name>", "collection to replace (default: the one named in the backup)")
    .option("--json", "print the result as JSON")
    .action(async (backup: string, flags: { to: string; collection?: string; json?: boolean }) => {
      const { openStore } = await import("../../store/index.js");
      const store = await openStore(flags.to);
      try {
        const result = await restoreBackup(store, backup, flags.collection);
        if (flags.json) printJson(result);
        else
          process.stdout.write(`restored ${result.points} points into ${result.collection} from ${backup}\n`);
      } finally {
        await store.close();
      }
    });
}
