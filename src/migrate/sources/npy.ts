/**
 * NumPy `.npy` matrices (one vector per row) with a sidecar of ids and payloads.
 *
 * The header is parsed as data (a Python dict literal with `descr`, `fortran_order`,
 * `shape`), never evaluated. Rows are streamed: C order straight from the byte stream,
 * Fortran (column-major) order by positioned reads of each column's slice for a block of
 * rows. A gzip-compressed Fortran file is first inflated to a temporary file, since its rows
 * are not contiguous.
 *
 * The sidecar pairs with rows by position: a JSON array or JSON Lines whose entries are
 * `{id, payload}` (or the Go shape `{id, metadata, source}`), or bare ids.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { SourceFormatError } from "../errors.js";
import { recordFromObject, type SourceRecord } from "../record.js";
import { type ByteInput, openByteInput, splitLines } from "./byte-input.js";
import { jsonArrayElements } from "./json-array.js";
import type { RecordSource } from "./source.js";

export interface NpyHeader {
  /** Bytes per element: 4 (float32) or 8 (float64). */
  itemBytes: 4 | 8;
  littleEndian: boolean;
  fortranOrder: boolean;
  rows: number;
  dims: number;
  /** Offset of the first data byte. */
  dataOffset: number;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export function isNpy(head: Buffer): boolean {
  return head.length >= 6 && head.subarray(0, 6).equals(MAGIC);
}

/** Parse the `.npy` header (format versions 1, 2 and 3). */
export function parseNpyHeader(head: Buffer, source: string): NpyHeader {
  const fail = (what: string): never => {
    throw new SourceFormatError("migrate.read", "invalid_npy", `${source}: ${what}`);
  };
  if (!isNpy(head)) fail("not a .npy file (magic \\x93NUMPY missing)");
  const major = head[6];
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = head.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLength = head.readUInt32LE(8);
    start = 12;
  } else return fail(`unsupported .npy format version ${String(major)}`);
  if (head.length < start + headerLength) fail("header truncated");
  const text = head.toString(major === 3 ? "utf8" : "latin1", start, start + headerLength);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`unreadable header ${JSON.stringify(text.trim())}`);
  }
  const match = /^([<>|=])f(4|8)$/.exec(descr);
  if (match === null) {
    return fail(`dtype ${descr} is not supported: vectors must be float32 ('<f4') or float64 ('<f8')`);
  }
  const shape = shapeText
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map(Number);
  if (shape.length !== 2 || shape.some((n) => !Number.isInteger(n) || n < 0)) {
    return fail(`shape (${shapeText}) must be 2-D (rows, dims)`);
  }
  return {
    itemBytes: match[2] === "4" ? 4 : 8,
    littleEndian: match[1] !== ">",
    fortranOrder: fortran === "True",
    rows: shape[0] as number,
    dims: shape[1] as number,
    dataOffset: start + headerLength,
  };
}

export interface NpyOptions {
  /** Sidecar file of ids/payloads; required. */
  sidecar: string;
}

/** Rows per block for Fortran-order reads: dims positioned reads per block. */
const FORTRAN_BLOCK_ROWS = 4096;

export async function npySource(input: ByteInput, options: NpyOptions): Promise<RecordSource> {
  const header = parseNpyHeader(input.head, input.path);
  const sidecar = await openByteInput(options.sidecar);
  const rowBytes = header.dims * header.itemBytes;
  let rowsDone = 0;

  const readValue = (buf: Buffer, at: number): number =>
    header.itemBytes === 4
      ? header.littleEndian
        ? buf.readFloatLE(at)
        : buf.readFloatBE(at)
      : header.littleEndian
        ? buf.readDoubleLE(at)
        : buf.readDoubleBE(at);

  async function* cOrderRows(): AsyncGenerator<Float64Array[]> {
    let carry: Buffer | null = null;
    let skip = header.dataOffset;
    let row = 0;
    for await (const chunk of input.chunks()) {
      let buf: Buffer = chunk;
      if (skip > 0) {
        const drop = Math.min(skip, buf.length);
        skip -= drop;
        buf = buf.subarray(drop);
      }
      if (carry !== null) buf = Buffer.concat([carry, buf]);
      const whole = Math.min(Math.floor(buf.length / rowBytes), header.rows - row);
      const out: Float64Array[] = new Array(whole);
      for (let r = 0; r < whole; r++) {
        const vector = new Float64Array(header.dims);
        const base = r * rowBytes;
        for (let d = 0; d < header.dims; d++) vector[d] = readValue(buf, base + d * header.itemBytes);
        out[r] = vector;
      }
      row += whole;
      carry = buf.length > whole * rowBytes ? buf.subarray(whole * rowBytes) : null;
      if (out.length > 0) yield out;
    }
    if (row < header.rows) {
      throw new SourceFormatError(
        "migrate.read",
        "truncated",
        `${input.path}: file ends at row ${row} of ${header.rows} (truncated)`,
      );
    }
  }

  async function* fortranRows(path: string): AsyncGenerator<Float64Array[]> {
    const handle = await open(path, "r");
    try {
      const size = (await handle.stat()).size;
      if (size < header.dataOffset + header.rows * rowBytes) {
        throw new SourceFormatError(
          "migrate.read",
          "truncated",
          `${input.path}: file holds fewer than ${header.rows}×${header.dims} values (truncated)`,
        );
      }
      for (let first = 0; first < header.rows; first += FORTRAN_BLOCK_ROWS) {
        const count = Math.min(FORTRAN_BLOCK_ROWS, header.rows - first);
        const block = Array.from({ length: count }, () => new Float64Array(header.dims));
        const column = Buffer.alloc(count * header.itemBytes);
        for (let d = 0; d < header.dims; d++) {
          const at = header.dataOffset + (d * header.rows + first) * header.itemBytes;
          await handle.read(column, 0, column.length, at);
          for (let r = 0; r < count; r++)
            (block[r] as Float64Array)[d] = readValue(column, r * header.itemBytes);
        }
        yield block;
      }
    } finally {
      await handle.close();
    }
  }

  async function* rows(): AsyncGenerator<Float64Array[]> {
    if (!header.fortranOrder) {
      yield* cOrderRows();
      return;
    }
    if (!input.gzip) {
      yield* fortranRows(input.path);
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), "planvec-npy-"));
    try {
      const plain = join(dir, "matrix.npy");
      await pipeline(input.chunks(), createWriteStream(plain));
      yield* fortranRows(plain);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    format: "npy",
    description: `${input.path} (+ ${options.sidecar})`,
    facts: { dims: header.dims, count: header.rows, gzip: input.gzip },
    async *records() {
      rowsDone = 0;
      const entries = sidecarEntries(sidecar)[Symbol.asyncIterator]();
      let pending: unknown[] = [];
      let taken = 0;
      let sidecarDone = false;
      for await (const block of rows()) {
        const out: SourceRecord[] = [];
        for (const vector of block) {
          while (taken === pending.length && !sidecarDone) {
            const next = await entries.next();
            if (next.done) sidecarDone = true;
            else {
              pending = next.value;
              taken = 0;
            }
          }
          const index = rowsDone++;
          if (taken === pending.length) {
            throw new SourceFormatError(
              "migrate.read",
              "sidecar_mismatch",
              `${options.sidecar} has ${index} entries but ${input.path} has ${header.rows} rows`,
            );
          }
          const entry = pending[taken++];
          out.push(rowRecord(entry, vector, index));
        }
        yield out;
      }
      if (taken < pending.length || !(await entries.next()).done) {
        throw new SourceFormatError(
          "migrate.read",
          "sidecar_mismatch",
          `${options.sidecar} has more entries than the ${header.rows} rows of ${input.path}`,
        );
      }
    },
    progress: () => ({ done: rowsDone, total: header.rows, unit: "points" }),
  };
}

function rowRecord(entry: unknown, vector: Float64Array, index: number): SourceRecord {
  const location = `row ${index}`;
  if (typeof entry === "string" || typeof entry === "number") {
    return { index, location, id: entry, vector, payload: {} };
  }
  const record = recordFromObject(entry, index, location);
  return { ...record, vector };
}

/** Sidecar entries as decoded values, in groups. JSON array or JSON Lines, detected by content. */
async function* sidecarEntries(input: ByteInput): AsyncGenerator<unknown[]> {
  const first = input.head.toString("utf8", 0, Math.min(input.head.length, 4096)).trimStart();
  const fail = (where: string, error: unknown): never => {
    throw new SourceFormatError(
      "migrate.read",
      "invalid_sidecar",
      `${input.path}: ${where}: invalid JSON (${(error as Error).message})`,
      { cause: error },
    );
  };
  if (first.startsWith("[") || first.startsWith('{"points"') || /^\{\s*"points"/.test(first)) {
    for await (const group of jsonArrayElements(input.chunks(), { source: input.path })) {
      yield group.map((element) => {
        try {
          return JSON.parse(element.text) as unknown;
        } catch (error) {
          return fail(`element ${element.index}`, error);
        }
      });
    }
    return;
  }
  for await (const lines of splitLines(input.chunks())) {
    const values: unknown[] = [];
    for (const [lineNumber, text] of lines) {
      if (text.trim() === "") continue;
      try {
        values.push(JSON.parse(text));
      } catch (error) {
        fail(`line ${lineNumber}`, error);
      }
    }
    yield values;
  }
}
