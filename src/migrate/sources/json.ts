/**
 * JSON sources: one document holding a records array (`[...]`, `{"points": [...]}`), or
 * JSON Lines with one record per line. Both shapes (legacy vectorizer, Go migrator) are
 * accepted in both layouts; gzip is handled by {@link ByteInput}.
 */
import { recordFromObject, type ShapeOptions, type SourceRecord } from "../record.js";
import { type ByteInput, splitLines } from "./byte-input.js";
import { jsonArrayElements } from "./json-array.js";
import type { RecordSource } from "./source.js";

export function jsonArraySource(input: ByteInput, shape: ShapeOptions): RecordSource {
  return {
    format: "json",
    description: input.path,
    facts: { gzip: input.gzip },
    async *records() {
      for await (const group of jsonArrayElements(input.chunks(), { source: input.path })) {
        const out: SourceRecord[] = new Array(group.length);
        for (let k = 0; k < group.length; k++) {
          const element = group[k] as (typeof group)[number];
          out[k] = decode(
            element.text,
            element.index,
            `element ${element.index} (byte ${element.offset})`,
            shape,
          );
        }
        yield out;
      }
    },
    progress: () => ({ done: input.bytesRead(), total: input.size, unit: "bytes" }),
  };
}

export function jsonLinesSource(input: ByteInput, shape: ShapeOptions): RecordSource {
  return {
    format: "jsonl",
    description: input.path,
    facts: { gzip: input.gzip },
    async *records() {
      let index = 0;
      for await (const lines of splitLines(input.chunks())) {
        const out: SourceRecord[] = [];
        for (const [lineNumber, text] of lines) {
          if (text.trim() === "") continue;
          out.push(decode(text, index++, `line ${lineNumber}`, shape));
        }
        if (out.length > 0) yield out;
      }
    },
    progress: () => ({ done: input.bytesRead(), total: input.size, unit: "bytes" }),
  };
}

function decode(text: string, index: number, location: string, shape: ShapeOptions): SourceRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      index,
      location,
      id: undefined,
      vector: undefined,
      payload: undefined,
      decodeError: `invalid JSON: ${(error as Error).message}`,
    };
  }
  return recordFromObject(value, index, location, shape);
}
