/**
 * Windows-1252, by hand: Node 20's TextDecoder("windows-1252") decodes 0x80-0x9F as C1
 * controls (ISO-8859-1) instead of €, ’, “ …, which is exactly the range these files use.
 */

/** Characters Windows-1252 puts at 0x80-0x9F (undefined bytes keep their C1 code point). */
export const CP1252_HIGH_CHARACTERS = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ";

/** Decode bytes as Windows-1252. */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = "";
  const CHUNK = 8192;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const codes: number[] = [];
    for (const byte of bytes.subarray(start, start + CHUNK)) {
      codes.push(byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH_CHARACTERS.charCodeAt(byte - 0x80) : byte);
    }
    out += String.fromCharCode(...codes);
  }
  return out;
}

/** The Windows-1252 byte for a character, or undefined if it has none. */
export function encodeWindows1252Char(char: string): number | undefined {
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff && !(code >= 0x80 && code <= 0x9f)) return code;
  const index = CP1252_HIGH_CHARACTERS.indexOf(char);
  return index === -1 ? undefined : 0x80 + index;
}
