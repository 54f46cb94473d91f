import type { Command } from "commander";

/** `--store embedded:PATH | qdrant:URL`, shared by every command that reads or writes a store. */
export function withStoreOption(command: Command): Command {
  return command.option(
    "--store <spec>",
    "vector store: embedded:PATH or qdrant:URL (default: PLANVEC_STORE, else embedded:./.planvec)",
  );
}
