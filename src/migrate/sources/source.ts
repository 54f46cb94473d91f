import type { SourceFormat, SourceRecord } from "../record.js";

/**
 * A readable source of records. `records()` streams from the start every time it is called
 * (a resumed migration re-reads and re-validates the records it skips, which also rebuilds
 * the duplicate-id set).
 */
export interface RecordSource {
  readonly format: SourceFormat;
  /** What was opened, for the report: a path, or `qdrant:URL collection`. */
  readonly description: string;
  /** Facts the source knows before reading, e.g. npy shape or the export header. */
  readonly facts: SourceFacts;
  /** Groups of records in source order (one group per read chunk keeps async overhead low). */
  records(): AsyncIterable<SourceRecord[]>;
  /** Progress of the current `records()` iteration: units done and total (bytes or points). */
  progress(): { done: number; total: number | null; unit: "bytes" | "points" };
}

export interface SourceFacts {
  /** Vector size when the format declares it (npy shape, export header, Qdrant config). */
  dims?: number | undefined;
  /** Number of records when known in advance. */
  count?: number | undefined;
  /** Embedding model that made the vectors, when the source says (planvec export, collection metadata). */
  modelId?: string | null | undefined;
  /** Distance of the source collection, when it has one. */
  distance?: "Cosine" | "Dot" | "Euclid" | undefined;
  /** Gzip-compressed on disk. */
  gzip?: boolean | undefined;
}
