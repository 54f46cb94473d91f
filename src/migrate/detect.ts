/**
 * Format detection by content (never by file name alone) and the single entry point that
 * opens any supported source.
 */
import { access } from "node:fs/promises";
import { SourceFormatError } from "./errors.js";
import { SOURCE_FORMATS, type SourceFormat } from "./record.js";
import { openByteInput } from "./sources/byte-input.js";
import { jsonArraySource, jsonLinesSource } from "./sources/json.js";
import { isNpy, npySource } from "./sources/npy.js";
import { isPickle, pickleSource } from "./sources/pickle.js";
import { isPortable, portableSource } from "./sources/portable.js";
import { parseQdrantSource, qdrantSource } from "./sources/qdrant.js";
import { withReadAhead } from "./sources/read-ahead.js";
import type { RecordSource } from "./sources/source.js";

export interface OpenSourceOptions {
  /** Force a format instead of detecting it. */
  format?: SourceFormat | undefined;
  /** Sidecar of ids/payloads for `.npy` (default: next to the file, same base name, .jsonl or .json). */
  sidecar?: string | undefined;
  /** Named vector to read (Qdrant named vectors, records with a map of vectors). */
  vectorName?: string | undefined;
  /** Qdrant source: collection name when the URL does not include it. */
  sourceCollection?: string | undefined;
  /** Qdrant source: API key (default QDRANT_API_KEY). */
  apiKey?: string | undefined;
  /** Decode JSON / JSON Lines in a worker thread (default false; see docs/benchmarks.md "Migration"). */
  readAhead?: boolean | undefined;
}

/**
 * Decide the format of already-decompressed leading bytes: `.npy` magic, pickle PROTO
 * opcode, planvec export header, JSON Lines (a complete object on the first line followed by
 * another line starting with `{`), otherwise a JSON document.
 */
export function detectFormat(head: Buffer): SourceFormat | null {
  if (isNpy(head)) return "npy";
  if (isPickle(head)) return "pickle";
  if (isPortable(head)) return "planvec";
  const text = head.toString("utf8").replace(/^\uFEFF/, "");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) return "json";
  if (trimmed.startsWith("{")) {
    const newline = trimmed.indexOf("\n");
    if (newline < 0) return /^\{\s*"(points|result)"\s*:/.test(trimmed) ? "json" : "jsonl";
    try {
      JSON.parse(trimmed.slice(0, newline));
      return "jsonl";
    } catch {
      return "json";
    }
  }
  return null;
}

export async function openSource(spec: string, options: OpenSourceOptions = {}): Promise<RecordSource> {
  if (options.format !== undefined && !SOURCE_FORMATS.includes(options.format)) {
    throw new SourceFormatError(
      "migrate.open",
      "invalid_format",
      `unknown --format ${String(options.format)} (use ${SOURCE_FORMATS.join(", ")})`,
    );
  }
  const qdrant =
    options.format === "qdrant" || /^(qdrant:)?https?:\/\//.test(spec)
      ? parseQdrantSource(spec, options.sourceCollection)
      : null;
  if (qdrant !== null) {
    return qdrantSource({
      ...qdrant,
      vectorName: options.vectorName,
      apiKey: options.apiKey ?? process.env.QDRANT_API_KEY,
    });
  }
  const input = await openByteInput(spec);
  const format = options.format ?? detectFormat(input.head);
  if (format === null) {
    throw new SourceFormatError(
      "migrate.open",
      "unknown_format",
      `${spec}: cannot tell the format from its content (not JSON, JSON Lines, .npy, pickle or a planvec export); pass --format`,
    );
  }
  const shape = { vectorName: options.vectorName };
  const ahead = (source: RecordSource): RecordSource =>
    options.readAhead === true ? withReadAhead(source, spec, { ...options, format }) : source;
  switch (format) {
    case "json":
      return ahead(jsonArraySource(input, shape));
    case "jsonl":
      return ahead(jsonLinesSource(input, shape));
    case "npy":
      return npySource(input, { sidecar: options.sidecar ?? (await findSidecar(spec)) });
    case "pickle":
      return pickleSource(input);
    case "planvec":
      return portableSource(input);
    default:
      throw new SourceFormatError(
        "migrate.open",
        "invalid_format",
        `${spec}: --format ${format} needs a URL`,
      );
  }
}

async function findSidecar(path: string): Promise<string> {
  const base = path.replace(/\.gz$/, "").replace(/\.npy$/, "");
  const candidates = [
    `${base}.jsonl`,
    `${base}.json`,
    `${base}.jsonl.gz`,
    `${base}.json.gz`,
    `${base}.meta.jsonl`,
    `${base}.meta.json`,
  ];
  for (const candidate of candidates) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next name
    }
  }
  throw new SourceFormatError(
    "migrate.open",
    "missing_sidecar",
    `${path}: a .npy matrix needs a sidecar of ids and payloads; none of ${candidates.join(", ")} exists (pass --sidecar FILE)`,
  );
}
