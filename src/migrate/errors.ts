import { PlanvecError, UsageError } from "../core/errors.js";

/**
 * A migration failed while running (store refused writes, rollback needed, integrity check
 * failed). Exit code 3 at the CLI.
 */
export class MigrationError extends PlanvecError {}

/**
 * The source cannot be read as the format it claims (truncated JSON, bad `.npy` header, a
 * pickle that would need to run code). Bad input: exit code 2 at the CLI. The message names
 * the file and, when known, the byte offset, line or record index.
 */
export class SourceFormatError extends UsageError {}

/** The migration was refused before writing anything (dimension/model mismatch, checkpoint conflict). */
export class MigrationRefusedError extends UsageError {}
