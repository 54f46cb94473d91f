import { describe, expect, it } from "vitest";
import { decodeWindows1252 } from "../../src/markdown/cp1252.js";
import { decodePlanBytes, firstInvalidUtf8Offset } from "../../src/markdown/decode.js";
import { findMojibake, repairMojibake } from "../../src/markdown/mojibake.js";
import { parsePlan } from "../../src/markdown/plan-parser.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
/** What a tool that read UTF-8 as Windows-1252 and wrote it back as UTF-8 produces. */
const doubleEncode = (text: string) => decodeWindows1252(utf8(text));

describe("decoding bytes", () => {
  it("strips a UTF-8 BOM", () => {
    const plan = parsePlan(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8("- [ ] Tâche")]));
    expect(plan.tasks[0]?.title).toBe("Tâche");
    expect(plan.warnings).toEqual([]);
  });

  it.each([
    ["utf-16le", [0xff, 0xfe], (s: string) => Buffer.from(s, "utf16le")],
    ["utf-16be", [0xfe, 0xff], (s: string) => Buffer.from(s, "utf16le").swap16()],
  ])("decodes %s with a BOM", (encoding, bom, encode) => {
    const plan = parsePlan(Uint8Array.from([...bom, ...encode("# Titre\n- [x] Étape ✅ faite\n")]));
    expect(plan.encoding).toBe(encoding);
    expect(plan.tasks).toEqual([
      expect.objectContaining({ line: 2, status: "done", title: "Étape ✅ faite" }),
    ]);
    expect(plan.warnings.map((w) => w.code)).toEqual(["utf16"]);
  });

  it("decodes invalid UTF-8 as Windows-1252 and says where", () => {
    // "Réaliser" and "€" written by a Windows-1252 editor.
    const bytes = Uint8Array.from([...utf8("# Plan\n\n- [ ] R"), 0xe9, ...utf8("aliser 5 "), 0x80, 0x0a]);
    const plan = parsePlan(bytes);
    expect(plan.encoding).toBe("windows-1252");
    expect(plan.tasks[0]?.title).toBe("Réaliser 5 €");
    expect(plan.warnings).toEqual([expect.objectContaining({ line: 3, code: "invalid-utf8" })]);
    expect(plan.warnings[0]?.message).toContain("0xe9");
  });

  it("finds the first byte that breaks UTF-8", () => {
    expect(firstInvalidUtf8Offset(utf8("aé✅😀"))).toBe(utf8("aé✅😀").length);
    expect(firstInvalidUtf8Offset(Uint8Array.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8Offset(Uint8Array.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // surrogate
    expect(firstInvalidUtf8Offset(Uint8Array.from([0x61, 0xe2, 0x82]))).toBe(1); // truncated
  });

  it("treats NUL bytes as a binary file: no tasks, one error", () => {
    const decoded = decodePlanBytes(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0a, 0x00, 0x01]));
    expect(decoded).toMatchObject({ encoding: "binary", text: "" });
    expect(decoded.warnings).toEqual([expect.objectContaining({ code: "binary-file", line: 2 })]);
  });
});

describe("double-encoded UTF-8 (mojibake)", () => {
  const original =
    "# Planification\n\n- [ ] Implémenter le client — version « unifiée » ✅\n- [x] Créer l’index\n";
  const broken = doubleEncode(original);

  it("is what our fixture looks like", () => {
    expect(broken).toContain("ImplÃ©menter");
    expect(broken).toContain("â€”");
  });

  it("is reported with the line and the meant character, never repaired silently", () => {
    const plan = parsePlan(utf8(broken));
    expect(plan.tasks[0]?.title).toContain("ImplÃ©menter");
    const lines = plan.warnings.filter((w) => w.code === "mojibake").map((w) => w.line);
    expect(new Set(lines)).toEqual(new Set([3, 4]));
    expect(plan.warnings[0]?.message).toContain('"Ã©" is probably "é"');
  });

  it("is repaired with fixEncoding", () => {
    const plan = parsePlan(utf8(broken), { fixEncoding: true });
    expect(plan.text).toBe(original);
    expect(plan.tasks.map((t) => t.title)).toEqual([
      "Implémenter le client — version « unifiée » ✅",
      "Créer l’index",
    ]);
    expect(plan.warnings.map((w) => w.code)).toEqual(["mojibake-repaired"]);
  });

  it("leaves genuine text alone", () => {
    const genuine = "Ã la carte? No: « À la carte », naïve café, 5 € — ½ Â";
    expect(findMojibake(genuine)).toEqual([]);
    expect(repairMojibake(genuine)).toEqual({ text: genuine, repaired: 0 });
  });
});
