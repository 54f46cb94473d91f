/**
 * A source file as a stream of (decompressed) byte chunks, with its first bytes available
 * for format detection and a counter of raw bytes read for the progress bar.
 * Gzip is recognised by its magic bytes, not by the file name.
 */
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { SourceFormatError } from "../errors.js";

/** 1 MiB reads: measured 15 % faster than Node's 64 KiB default on the 50 MB bench file. */
const CHUNK_BYTES = 1024 * 1024;
const HEAD_BYTES = 64 * 1024;

export interface ByteInput {
  path: string;
  /** Size of the file on disk (compressed size when gzip). */
  size: number;
  gzip: boolean;
  /** First bytes of the decompressed content (up to 64 KiB), for detection. */
  head: Buffer;
  /** Decompressed content from the start. Each call opens a new read. */
  chunks(): AsyncIterable<Buffer>;
  /** Raw bytes of the file consumed so far by the current `chunks()` iteration. */
  bytesRead(): number;
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export async function openByteInput(path: string): Promise<ByteInput> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SourceFormatError("migrate.read", "not_a_file", `${path} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof SourceFormatError) throw error;
    throw new SourceFormatError(
      "migrate.read",
      "not_found",
      `cannot read ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const rawHead = await readHead(path, HEAD_BYTES);
  const gzip = isGzip(rawHead);
  let consumed = 0;
  const chunks = async function* (): AsyncGenerator<Buffer> {
    consumed = 0;
    const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    raw.on("data", (chunk) => {
      consumed += chunk.length;
    });
    if (!gzip) {
      yield* raw as AsyncIterable<Buffer>;
      return;
    }
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    raw.on("error", (error) => gunzip.destroy(error));
    raw.pipe(gunzip);
    try {
      yield* gunzip as AsyncIterable<Buffer>;
    } catch (error) {
      throw new SourceFormatError(
        "migrate.read",
        "invalid_gzip",
        `${path}: gzip data is corrupt or truncated`,
        {
          cause: error,
        },
      );
    } finally {
      raw.destroy();
    }
  };
  let head = rawHead;
  if (gzip) {
    const parts: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of chunks()) {
        parts.push(chunk);
        length += chunk.length;
        if (length >= HEAD_BYTES) break;
      }
    } catch (error) {
      // A gzip member too short to inflate still gets detected (and fails later with the message).
      if (parts.length === 0) throw error;
    }
    head = Buffer.concat(parts).subarray(0, HEAD_BYTES);
  }
  return { path, size, gzip, head, chunks, bytesRead: () => consumed };
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Split byte chunks into lines (LF or CRLF), yielding groups of `[lineNumber, text]`.
 * Used for JSON Lines sources and sidecars.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Array<[number, string]>> {
  let carry: Buffer | null = null;
  let lineNumber = 0;
  for await (const chunk of chunks) {
    const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
    const out: Array<[number, string]> = [];
    let start = 0;
    for (;;) {
      const newline = buf.indexOf(0x0a, start);
      if (newline < 0) break;
      lineNumber++;
      const end = newline > start && buf[newline - 1] === 0x0d ? newline - 1 : newline;
      out.push([lineNumber, buf.toString("utf8", start, end)]);
      start = newline + 1;
    }
    carry = start < buf.length ? buf.subarray(start) : null;
    if (out.length > 0) yield out;
  }
  if (carry !== null && carry.length > 0) {
    lineNumber++;
    const text = carry.toString("utf8");
    yield [[lineNumber, text.endsWith("\r") ? text.slice(0, -1) : text]];
  }
}
