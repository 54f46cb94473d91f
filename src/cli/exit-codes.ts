/** Process exit codes, the same for every command. */
export const ExitCode = {
  Ok: 0,
  /** Findings were reported and --strict was given. */
  Findings: 1,
  /** The command line or an input was invalid. */
  Usage: 2,
  /** Something failed while running. */
  Runtime: 3,
} as const;
