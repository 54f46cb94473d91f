/**
 * One error family for the whole product. Every failure carries the operation that
 * failed, a stable machine-readable code, and (when there is one) the underlying cause.
 * The CLI maps these to exit codes and the HTTP layer to statuses, each in one place.
 */
export class PlanvecError extends Error {
  readonly operation: string;
  readonly code: string;

  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.operation = operation;
    this.code = code;
  }
}

/** Bad input from the user (arguments, files, configuration): exit code 2 at the CLI. */
export class UsageError extends PlanvecError {}

/** Reading or decoding an input file failed. */
export class InputError extends PlanvecError {}

/** Render any thrown value as one line for a human. */
export function describeError(error: unknown): string {
  if (error instanceof PlanvecError) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
    return `${error.operation}: ${error.message} [${error.code}]${cause}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
