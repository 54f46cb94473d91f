import { decodeWindows1252 } from "./cp1252.js";
import type { ParseWarning } from "./types.js";

/** The decoded text of a file and what had to be done to get it. */
export interface DecodedText {
  text: string;
  encoding: "utf-8" | "utf-16le" | "utf-16be" | "windows-1252" | "binary";
  warnings: ParseWarning[];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decode a file's bytes the way an editor would: honour a BOM (UTF-8, UTF-16 LE/BE),
 * otherwise expect UTF-8 and fall back to Windows-1252 (with a warning naming the first bad
 * byte's line) when the bytes are not valid UTF-8. Files with NUL bytes and no UTF-16 BOM
 * are binary: no text, one warning. Never throws.
 */
export function decodePlanBytes(bytes: Uint8Array): DecodedText {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return {
      text: new TextDecoder("utf-16le").decode(bytes.subarray(2)),
      encoding: "utf-16le",
      warnings: [utf16Warning("LE")],
    };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return {
      text: new TextDecoder("utf-16be").decode(bytes.subarray(2)),
      encoding: "utf-16be",
      warnings: [utf16Warning("BE")],
    };
  }
  const hasUtf8Bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = hasUtf8Bom ? bytes.subarray(3) : bytes;
  const nul = body.indexOf(0);
  if (nul !== -1) {
    return {
      text: "",
      encoding: "binary",
      warnings: [
        {
          line: lineOfByte(body, nul),
          code: "binary-file",
          severity: "error",
          message: `binary content (NUL byte at offset ${nul + (hasUtf8Bom ? 3 : 0)}): not a Markdown file, nothing parsed`,
        },
      ],
    };
  }
  try {
    return { text: strictUtf8.decode(body), encoding: "utf-8", warnings: [] };
  } catch {
    const bad = firstInvalidUtf8Offset(body);
    return {
      text: decodeWindows1252(body),
      encoding: "windows-1252",
      warnings: [
        {
          line: lineOfByte(body, bad),
          code: "invalid-utf8",
          severity: "warning",
          message: `invalid UTF-8 (first bad byte 0x${(body[bad] ?? 0).toString(16).padStart(2, "0")} at offset ${bad}); decoded the file as Windows-1252. Re-save it as UTF-8.`,
        },
      ],
    };
  }
}

function utf16Warning(order: "LE" | "BE"): ParseWarning {
  return {
    line: 1,
    code: "utf16",
    severity: "info",
    message: `file is UTF-16 ${order} (byte-order mark); decoded it. Most Markdown tools expect UTF-8.`,
  };
}

function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8 well-formedness (RFC 3629). */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
