/** Migration toolkit: legacy vector data and existing Qdrant collections into any planvec store. */
export { detectFormat, type OpenSourceOptions, openSource } from "./detect.js";
export {
  type MigrateOptions,
  type MigrationEmbedder,
  type MigrationProgress,
  migrate,
  restoreBackup,
} from "./engine.js";
export { MigrationError, MigrationRefusedError, SourceFormatError } from "./errors.js";
export { createProgressBar } from "./progress.js";
export { SOURCE_FORMATS, type SourceFormat, type SourceRecord } from "./record.js";
export { formatReport, type MigrationReport } from "./report.js";
export type { RecordSource } from "./sources/source.js";
export { ORIGINAL_ID_KEY, RecordValidator } from "./validate.js";
