import type { Command } from "commander";
import { UsageError } from "../../core/errors.js";
import { DEFAULT_STORE_SPEC, StoreError, type VectorStore } from "../../store/contract.js";
import { exportCollectionToFile, importFileToStore, openStore } from "../../store/index.js";
import { printJson } from "../format.js";

interface StoreFlags {
  store?: string;
  json?: boolean;
}

/** Bad specs and bad input files are usage errors (exit 2), the rest runtime errors (exit 3). */
function asCliError(error: unknown): unknown {
  if (
    error instanceof StoreError &&
    ["invalid_argument", "invalid_filter", "invalid_id"].includes(error.code)
  ) {
    return new UsageError(error.operation, error.code, error.message, { cause: error.cause });
  }
  return error;
}

/** `--store`, else PLANVEC_STORE, else the default embedded store. `qdrant:` alone reads QDRANT_URL etc. */
async function withStore<T>(spec: string | undefined, fn: (store: VectorStore) => Promise<T>): Promise<T> {
  let store: VectorStore | undefined;
  try {
    store = await openStore(spec ?? process.env.PLANVEC_STORE ?? DEFAULT_STORE_SPEC);
    return await fn(store);
  } catch (error) {
    throw asCliError(error);
  } finally {
    await store?.close();
  }
}

function storeOption(command: Command): Command {
  return command.option(
    "--store <spec>",
    "vector store: embedded:PATH or qdrant:URL (default: PLANVEC_STORE, else embedded:./.planvec)",
  );
}

/** `planvec store info|export|import`: inspect a vector store and move collections in and out of it. */
export function registerStoreCommand(program: Command): void {
  const store = program
    .command("store")
    .description(
      "Inspect a vector store (embedded or Qdrant) and export/import collections in the portable format",
    );

  storeOption(
    store
      .command("info")
      .description("List the store's collections with dimensions, distance, point counts and index status")
      .option("--json", "print JSON"),
  ).action(async (flags: StoreFlags) => {
    await withStore(flags.store, async (s) => {
      const collections = [];
      for (const name of await s.listCollections()) collections.push(await s.collectionInfo(name));
      if (flags.json) {
        printJson({ store: s.location, kind: s.kind, collections });
        return;
      }
      const out = process.stdout;
      out.write(`${s.location}  (${collections.length} collection${collections.length === 1 ? "" : "s"})\n`);
      for (const c of collections) {
        const model = typeof c.metadata?.modelId === "string" ? `  model ${c.metadata.modelId}` : "";
        const indexed = c.indexedCount !== undefined ? `  indexed ${c.indexedCount}` : "";
        out.write(
          `  ${c.name}  ${c.dims}d ${c.distance}  ${c.pointCount} points${indexed}  ${c.status}${model}\n`,
        );
      }
    });
  });

  storeOption(
    store
      .command("export")
      .description(
        "Write a collection to FILE: gzip JSON Lines, a header line (dims, distance, model id) then one point per line",
      )
      .argument("<collection>", "collection to export")
      .argument("<file>", "output file, e.g. plans.jsonl.gz (written atomically)")
      .option(
        "--model-id <id>",
        "embedding model id to record in the header (default: the collection's metadata.modelId)",
      )
      .option("--json", "print the result as JSON"),
  ).action(async (collection: string, file: string, flags: StoreFlags & { modelId?: string }) => {
    await withStore(flags.store, async (s) => {
      const r = await exportCollectionToFile(
        s,
        collection,
        file,
        flags.modelId ? { modelId: flags.modelId } : {},
      );
      if (flags.json) printJson({ file, collection, points: r.points, header: r.header });
      else
        process.stdout.write(
          `exported ${r.points} points of ${collection} (${r.header.dims}d ${r.header.distance}) to ${file}\n`,
        );
    });
  });

  storeOption(
    store
      .command("import")
      .description(
        "Load a portable export FILE into the store (collection created if missing; same ids are replaced)",
      )
      .argument("<file>", "file written by `planvec store export` or the migration tools")
      .option("--collection <name>", "target collection (default: the one named in the file's header)")
      .option("--batch-size <n>", "points per write batch", (v) => Number.parseInt(v, 10), 1000)
      .option("--json", "print the result as JSON"),
  ).action(async (file: string, flags: StoreFlags & { collection?: string; batchSize: number }) => {
    if (!Number.isInteger(flags.batchSize) || flags.batchSize < 1) {
      throw new UsageError("store.import", "invalid_argument", "--batch-size must be a positive integer");
    }
    await withStore(flags.store, async (s) => {
      const r = await importFileToStore(s, file, {
        batchSize: flags.batchSize,
        ...(flags.collection ? { collection: flags.collection } : {}),
      });
      if (flags.json)
        printJson({ file, collection: r.collection, points: r.points, modelId: r.header.modelId });
      else process.stdout.write(`imported ${r.points} points into ${r.collection} from ${file}\n`);
    });
  });
}
