/**
 * What every source kind produces: records with a stable key, the text to embed, and a
 * payload. The pipeline turns keys into deterministic UUIDv5 point ids, hashes text+payload
 * to skip unchanged records, and upserts into the record's collection.
 */

/** The collections planvec maintains (the seeds' names). */
export const COLLECTIONS = [
  "roadmap_tasks",
  "documents",
  "dependencies",
  "schemas",
  "security_policies",
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/** Payload fields every record carries, so search results print the same way for every kind. */
export interface RecordPayloadBase {
  /** Source file, relative to the indexed root, with forward slashes. */
  file: string;
  /** 1-based line where the record starts. */
  line: number;
  /** Short human label: a task title, a package name, a table name, a rule heading. */
  title: string;
  /** Heading path or logical location (e.g. ["dependencies"] or ["components", "schemas"]). */
  section: string[];
  /** The source kind that made the record. */
  kind: SourceKind;
  [key: string]: unknown;
}

export type SourceKind = "plan" | "dependency-manifest" | "schema" | "security-policy";

export interface SourceRecord {
  collection: CollectionName;
  /** Stable across runs while the record means the same thing (e.g. `file#task:1.2.3` or `file#line:42`). */
  key: string;
  /** The text to embed (already enriched with context such as the section path). */
  text: string;
  payload: RecordPayloadBase;
}

/** A warning from an extractor, naming the file and line. */
export interface SourceWarning {
  file: string;
  line: number;
  code: string;
  message: string;
}

export interface ExtractResult {
  records: SourceRecord[];
  warnings: SourceWarning[];
}

/**
 * One source kind: which files it reads and how it turns one file into records. `file` is
 * the path relative to the indexed root (forward slashes); `bytes` is its content.
 */
export interface SourceExtractor {
  kind: SourceKind;
  /** Default globs (picomatch syntax, relative to the root). Overridable in configuration. */
  defaultGlobs: string[];
  extract(file: string, bytes: Uint8Array): ExtractResult;
}
