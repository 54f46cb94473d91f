import { watch } from "chokidar";
import { SingleBar } from "cli-progress";
import { parseFenceMode } from "../config/markdown-config.js";
import { type IndexProgress, type IndexSummary, indexSources } from "../pipeline/indexer.js";
import { openWorkspace, type Workspace } from "../pipeline/workspace.js";
import { printJson } from "./format.js";

/** Flags of `planvec index`, as commander parses them. */
export interface IndexFlags {
  store?: string;
  json?: boolean;
  watch?: boolean;
  force?: boolean;
  fences?: string;
  debounce?: string;
}

/** Run `planvec index`: one pass, or a pass then watch mode. */
export async function runIndexCommand(paths: string[], flags: IndexFlags): Promise<void> {
  const fences = flags.fences ? parseFenceMode(flags.fences, "--fences") : undefined;
  const workspace = await openWorkspace({ store: flags.store, embedder: true, fences });
  try {
    const summary = await runOnce(workspace, paths, flags, flags.force === true);
    if (flags.json) printJson(summary);
    else printSummary(summary);
    if (flags.watch) await watchAndIndex(workspace, paths, flags);
  } finally {
    await workspace.close();
  }
}

async function runOnce(
  workspace: Workspace,
  paths: string[],
  flags: IndexFlags,
  force: boolean,
  signal?: AbortSignal,
): Promise<IndexSummary> {
  const reporter = flags.json ? undefined : progressReporter();
  try {
    return await indexSources({
      roots: paths,
      kinds: workspace.kinds,
      store: workspace.store,
      // biome-ignore lint/style/noNonNullAssertion: opened with embedder: true
      embedder: workspace.embedder!,
      state: workspace.state,
      force,
      signal,
      onProgress: reporter?.update,
    });
  } finally {
    reporter?.stop();
  }
}

/** A progress bar on a terminal; a log line every few seconds otherwise. */
function progressReporter(): { update: (progress: IndexProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format:
          "indexing {bar} {value}/{total} files | {records} embedded | {rate}/s | ETA {eta_formatted} | {file}",
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      },
      undefined,
    );
    let started = false;
    return {
      update(progress) {
        if (progress.phase !== "index" && progress.phase !== "done") return;
        const payload = {
          records: progress.recordsEmbedded,
          rate:
            progress.elapsedMs > 0 ? Math.round((progress.recordsEmbedded * 1000) / progress.elapsedMs) : 0,
          file: (progress.file ?? "").slice(-40),
        };
        if (!started) {
          bar.start(progress.filesTotal, progress.filesDone, payload);
          started = true;
        } else bar.update(progress.filesDone, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(progress) {
      const now = Date.now();
      if (progress.phase === "index" && now - last < 2000) return;
      last = now;
      process.stderr.write(
        `planvec: ${progress.phase} ${progress.filesDone}/${progress.filesTotal} files, ${progress.recordsEmbedded} embedded, ${(progress.elapsedMs / 1000).toFixed(1)} s\n`,
      );
    },
    stop() {},
  };
}

function printSummary(summary: IndexSummary): void {
  const { files, records } = summary;
  process.stdout.write(
    `indexed in ${(summary.durationMs / 1000).toFixed(1)} s: ${files.seen} files (${files.changed} changed, ${files.unchanged} unchanged, ${files.removed} removed, ${files.skipped} skipped); ` +
      `${records.embedded} records embedded, ${records.payloadOnly} updated without embedding, ${records.deleted} deleted\n`,
  );
  for (const [collection, count] of Object.entries(summary.collections))
    process.stdout.write(`  ${collection.padEnd(18)} ${count}\n`);
  const shown = summary.warnings.slice(0, 20);
  for (const warning of shown)
    process.stdout.write(`  ${warning.file}:${warning.line}: ${warning.code}: ${warning.message}\n`);
  if (summary.warnings.length > shown.length)
    process.stdout.write(
      `  … and ${summary.warnings.length - shown.length} more warnings (planvec lint shows plan defects)\n`,
    );
}

/** Re-index after changes settle, until SIGINT/SIGTERM. */
async function watchAndIndex(workspace: Workspace, paths: string[], flags: IndexFlags): Promise<void> {
  const debounceMs = Number(flags.debounce ?? 300);
  const watcher = watch(paths, {
    ignoreInitial: true,
    ignored: (path) => /(^|[/\\])(\.git|node_modules|\.planvec)([/\\]|$)/.test(path),
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const controller = new AbortController();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        try {
          const summary = await runOnce(workspace, paths, { ...flags, json: true }, false, controller.signal);
          if (summary.files.changed + summary.files.removed > 0) {
            if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
            else printSummary(summary);
          }
        } catch (error) {
          // One failed pass (a file removed mid-read, a store error) must not stop the watch.
          process.stderr.write(`planvec: index pass failed: ${(error as Error).message}; watching on\n`);
        }
      });
    }, debounceMs);
  };
  watcher.on("all", schedule);
  // Say "watching" only once the initial scan is done: a file created before that is not an event.
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  process.stderr.write(`planvec: watching ${paths.join(", ")} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      controller.abort();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  clearTimeout(timer);
  await watcher.close();
  await running;
}
