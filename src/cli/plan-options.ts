import { type Command, Option } from "commander";
import { loadMarkdownConfig, parseFenceMode } from "../config/markdown-config.js";
import type { ParseOptions } from "../markdown/types.js";

export interface PlanCommandOptions {
  fences?: string;
  fixEncoding?: boolean;
  json?: boolean;
}

/** Options shared by every command that reads plans. */
export function withPlanOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--fences <mode>",
        "how fenced code closes: strict (CommonMark, what GitHub shows) or lenient",
      ).choices(["strict", "lenient"]),
    )
    .option("--fix-encoding", "repair double-encoded UTF-8 (mojibake such as ImplÃ©menter) before parsing")
    .option("--json", "print JSON instead of a readable summary");
}

/** Parse options from flags, over PLANVEC_FENCES, over the config file's markdown.fences. */
export function resolveParseOptions(flags: PlanCommandOptions): ParseOptions {
  const config = loadMarkdownConfig();
  return {
    fences: flags.fences ? parseFenceMode(flags.fences, "--fences") : config.fences,
    fixEncoding: flags.fixEncoding === true,
  };
}
