import { Command, CommanderError } from "commander";
import { describeError, PlanvecError, UsageError } from "../core/errors.js";
import { registerConfigCommand } from "./commands/config.js";
import { registerDupesCommand } from "./commands/dupes.js";
import { registerEmbedCommand } from "./commands/embed.js";
import { registerIndexCommands } from "./commands/index.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerLintCommand } from "./commands/lint.js";
import { registerMigrateCommand } from "./commands/migrate.js";
import { registerModelCommand } from "./commands/model.js";
import { registerParseCommand } from "./commands/parse.js";
import { registerProgressCommand } from "./commands/progress.js";
import { registerSearchCommand } from "./commands/search.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerServeQdrantCommand } from "./commands/serve-qdrant.js";
import { registerStoreCommand } from "./commands/store.js";
import { ExitCode } from "./exit-codes.js";

/** Build the `planvec` command tree. Each command lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command("planvec")
    .description("Turn Markdown plans and planning knowledge into a local semantic index.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerIndexCommands(program);
  registerSearchCommand(program);
  registerDupesCommand(program);
  registerParseCommand(program);
  registerProgressCommand(program);
  registerLintCommand(program);
  registerEmbedCommand(program);
  registerModelCommand(program);
  registerMigrateCommand(program);
  registerStoreCommand(program);
  registerServeQdrantCommand(program);
  registerServeCommand(program);
  registerKeysCommand(program);
  registerConfigCommand(program);
  return program;
}

/**
 * Run the CLI and return its exit code: 0 ok, 1 findings (with --strict), 2 usage error,
 * 3 runtime error. Commands set `process.exitCode` for findings; errors land here.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander but successes to the user.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.Ok;
      return ExitCode.Usage;
    }
    process.stderr.write(`planvec: ${describeError(error)}\n`);
    if (error instanceof UsageError) return ExitCode.Usage;
    if (error instanceof PlanvecError) return ExitCode.Runtime;
    return ExitCode.Runtime;
  }
}
