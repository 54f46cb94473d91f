/**
 * planvec's own portable export (see `src/store/portable.ts`): the header gives dims,
 * distance and model id, the lines are points already in the store's shape.
 */
import { readPortableFile } from "../../store/portable.js";
import type { SourceRecord } from "../record.js";
import type { ByteInput } from "./byte-input.js";
import type { RecordSource } from "./source.js";

/** The header line of a portable file starts with this (after decompression). */
export function isPortable(head: Buffer): boolean {
  return /^\s*\{\s*"format"\s*:\s*"planvec\.points"/.test(
    head.toString("utf8", 0, Math.min(head.length, 200)),
  );
}

export async function portableSource(input: ByteInput): Promise<RecordSource> {
  const { header } = await readPortableFile(input.path);
  let done = 0;
  return {
    format: "planvec",
    description: input.path,
    facts: {
      dims: header.dims,
      count: header.pointCount ?? undefined,
      modelId: header.modelId,
      distance: header.distance,
      gzip: input.gzip,
    },
    async *records() {
      done = 0;
      const { points } = await readPortableFile(input.path);
      let group: SourceRecord[] = [];
      for await (const point of points) {
        group.push({
          index: done,
          location: `line ${done + 2}`,
          id: point.id,
          vector: point.vector,
          payload: point.payload,
        });
        done++;
        if (group.length === 512) {
          yield group;
          group = [];
        }
      }
      if (group.length > 0) yield group;
    },
    progress: () => ({ done, total: header.pointCount ?? null, unit: "points" }),
  };
}
