import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectFormat, openSource } from "../../src/migrate/detect.js";
import { MissingNamedVector, type SourceRecord } from "../../src/migrate/record.js";
import { RecordValidator } from "../../src/migrate/validate.js";
import { uuidV5ForKey } from "../../src/store/contract.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "migrate");
const fixture = (name: string): string => join(FIXTURES, name);
interface Expected {
  id: number;
  vector: number[];
  payload: Record<string, unknown>;
}
const expected = JSON.parse(readFileSync(fixture("expected.json"), "utf8")) as Expected[];

async function readAll(
  name: string,
  options: Parameters<typeof openSource>[1] = {},
): Promise<SourceRecord[]> {
  const source = await openSource(fixture(name), options);
  const out: SourceRecord[] = [];
  for await (const group of source.records()) out.push(...group);
  return out;
}

function vectorsOf(records: SourceRecord[]): number[][] {
  return records.map((r) => Array.from(r.vector as ArrayLike<number>));
}

describe("format detection by content", () => {
  it.each([
    ["legacy.json", "json"],
    ["legacy-points.json", "json"],
    ["scroll-dump.json", "json"],
    ["go.json", "json"],
    ["legacy.jsonl", "jsonl"],
    ["go.jsonl", "jsonl"],
    ["matrix-f32c.npy", "npy"],
    ["records-p2.pkl", "pickle"],
    ["records-p5.pkl", "pickle"],
  ])("%s is %s", async (name, format) => {
    const source = await openSource(fixture(name));
    expect(source.format).toBe(format);
    expect(detectFormat(readFileSync(fixture(name)).subarray(0, 65536))).toBe(format);
  });

  it("looks inside gzip", async () => {
    expect((await openSource(fixture("legacy.json.gz"))).format).toBe("json");
    expect((await openSource(fixture("go.jsonl.gz"))).format).toBe("jsonl");
    expect((await openSource(fixture("records-p4.pkl.gz"))).format).toBe("pickle");
    expect((await openSource(fixture("matrix-f32f.npy.gz"))).format).toBe("npy");
  });

  it("refuses content it cannot recognise, naming the file", async () => {
    await expect(openSource(fixture("../../migrate/sources.test.ts"))).rejects.toThrow(
      /cannot tell the format/,
    );
  });
});

describe("legacy and Go JSON shapes", () => {
  it.each(["legacy.json", "legacy-points.json", "scroll-dump.json", "legacy.jsonl", "legacy.json.gz"])(
    "%s yields the dataset exactly",
    async (name) => {
      const records = await readAll(name);
      expect(records.map((r) => r.id)).toEqual(expected.map((e) => e.id));
      expect(vectorsOf(records)).toEqual(expected.map((e) => e.vector));
      expect(records.map((r) => r.payload)).toEqual(expected.map((e) => e.payload));
      expect(records.map((r) => r.index)).toEqual(expected.map((_, i) => i));
    },
  );

  it.each(["legacy.json", "go.jsonl.gz", "legacy-points.json", "truncated.json"])(
    "%s through the read-ahead worker gives the same records and errors",
    async (name) => {
      const inline = await readAll(name).catch((error: Error) => error.message);
      const ahead = await readAll(name, { readAhead: true }).catch((error: Error) => error.message);
      if (typeof inline === "string" || typeof ahead === "string") {
        expect(ahead).toEqual(inline);
        return;
      }
      expect(vectorsOf(ahead)).toEqual(vectorsOf(inline));
      expect(ahead.map((r) => [r.id, r.payload, r.location])).toEqual(
        inline.map((r) => [r.id, r.payload, r.location]),
      );
    },
  );

  it("named-vector markers survive the thread hop", async () => {
    const file = join(tmpdir(), `planvec-named-${process.pid}.jsonl`);
    writeFileSync(file, `${JSON.stringify({ id: 1, vector: { a: [1], b: [2] }, payload: {} })}\n`);
    try {
      const source = await openSource(file, { readAhead: true });
      const records: SourceRecord[] = [];
      for await (const group of source.records()) records.push(...group);
      expect(records[0]?.vector).toBeInstanceOf(MissingNamedVector);
    } finally {
      rmSync(file);
    }
  });

  it.each(["go.json", "go.jsonl", "go.jsonl.gz"])(
    "%s maps metadata + source into the payload",
    async (name) => {
      const records = await readAll(name);
      expect(records).toHaveLength(expected.length);
      const first = records[0] as SourceRecord;
      const e0 = expected[0] as Expected;
      expect(first.id).toBe(`task-${e0.payload.taskId}`);
      expect(first.payload).toEqual({ ...e0.payload, source: "plan-dev-v57.md" });
      expect(vectorsOf(records)).toEqual(expected.map((e) => e.vector));
      // Validation maps the string id to a UUIDv5 and keeps the original.
      const validator = new RecordValidator({ dims: 8, idMap: "uuid5", onDuplicate: "error" });
      const result = validator.validate(first);
      expect(result.ok && result.point.id).toBe(uuidV5ForKey(`task-${e0.payload.taskId}`));
      expect(result.ok && result.point.payload.original_id).toBe(`task-${e0.payload.taskId}`);
    },
  );

  it("reports a truncated document with the byte offset", async () => {
    await expect(readAll("truncated.json")).rejects.toThrow(
      /truncated\.json: unexpected end of input.*byte \d+/,
    );
  });
});

describe("NumPy .npy with sidecars", () => {
  it.each([
    ["matrix-f32c.npy", true],
    ["matrix-f64f.npy", false],
    ["matrix-f32f.npy.gz", true],
    ["matrix-f8be.npy", false],
  ])("%s (float32 rounding: %s)", async (name, float32) => {
    const records = await readAll(name);
    expect(records.map((r) => r.id)).toEqual(expected.map((e) => e.id));
    const want = expected.map((e) => (float32 ? e.vector.map(Math.fround) : e.vector));
    expect(vectorsOf(records)).toEqual(want);
    if (name !== "matrix-f8be.npy")
      expect(records.map((r) => r.payload)).toEqual(expected.map((e) => e.payload));
    else expect(records.every((r) => JSON.stringify(r.payload) === "{}")).toBe(true);
  });

  it("refuses non-float dtypes with the dtype in the message", async () => {
    await expect(readAll("matrix-int.npy")).rejects.toThrow(/dtype <i4 is not supported/);
  });

  it("needs a sidecar", async () => {
    await expect(
      openSource(fixture("matrix-f32c.npy"), { sidecar: fixture("missing.jsonl") }),
    ).rejects.toThrow(/missing\.jsonl/);
  });
});

describe("safe pickle reader", () => {
  it.each([
    "records-p2.pkl",
    "records-p3.pkl",
    "records-p4.pkl",
    "records-p5.pkl",
    "records-p4.pkl.gz",
    "ordered-p3.pkl",
  ])("%s: list of record dicts", async (name) => {
    const records = await readAll(name);
    expect(records.map((r) => r.id)).toEqual(expected.map((e) => e.id));
    expect(vectorsOf(records)).toEqual(expected.map((e) => e.vector));
    expect(records.map((r) => r.payload)).toEqual(expected.map((e) => e.payload));
  });

  it("dict id -> vector", async () => {
    const records = await readAll("by-id-p4.pkl");
    expect(records.map((r) => r.id)).toEqual(expected.map((e) => e.id));
    expect(vectorsOf(records)).toEqual(expected.map((e) => e.vector));
  });

  it("dict key -> record keeps the key as id", async () => {
    const records = await readAll("by-key-records-p5.pkl");
    expect(records.map((r) => r.id)).toEqual(expected.map((e) => `task-${e.id}`));
    expect(records.map((r) => r.payload)).toEqual(expected.map((e) => e.payload));
  });

  it.each([
    ["by-id-numpy-p2.pkl", true],
    ["by-id-numpy-p5.pkl", false],
  ])("%s: NumPy arrays decoded from raw bytes, no code run", async (name, float32) => {
    const records = await readAll(name);
    expect(records.map((r) => r.id)).toEqual(expected.map((e) => e.id));
    expect(vectorsOf(records)).toEqual(expected.map((e) => (float32 ? e.vector.map(Math.fround) : e.vector)));
  });

  it.each(["evil-p2.pkl", "evil-p5.pkl"])("%s: refuses os.system and never runs it", async (name) => {
    await expect(readAll(name)).rejects.toThrow(/refusing to load global (posix|os)\.system/);
    expect(existsSync("/tmp/planvec-pickle-pwned")).toBe(false);
  });

  it("NaN and Inf are read, then rejected by validation", async () => {
    const records = await readAll("nonfinite-p4.pkl");
    const validator = new RecordValidator({ dims: 8, idMap: "uuid5", onDuplicate: "error" });
    const results = records.map((r) => validator.validate(r));
    expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["non_finite", "non_finite", "ok"]);
  });
});

describe("record validation", () => {
  it("flags every kind of bad record in invalid.jsonl", async () => {
    const records = await readAll("invalid.jsonl");
    const validator = new RecordValidator({ dims: 8, idMap: "uuid5", onDuplicate: "error" });
    const outcome = records.map((r) => {
      const v = validator.validate(r);
      return v.ok ? `ok:${typeof v.point.id}` : v.error.code;
    });
    expect(outcome).toEqual([
      "ok:number",
      "empty_vector",
      "dimension_mismatch",
      "decode_error",
      "non_numeric",
      "ok:string", // "task-five" -> uuid5
      "duplicate_id",
      "ok:string", // -7 -> uuid5
      "invalid_id",
      "invalid_payload",
      "ok:number", // no payload -> {}
    ]);
    expect(records[3]?.location).toBe("line 4");
  });

  it("--id-map keep refuses ids that are not point ids", () => {
    const validator = new RecordValidator({ dims: 2, idMap: "keep", onDuplicate: "error" });
    const v = validator.validate({ index: 0, location: "x", id: "abc", vector: [1, 2], payload: {} });
    expect(v.ok).toBe(false);
  });

  it("last-wins marks duplicates but accepts them", () => {
    const validator = new RecordValidator({ dims: 2, idMap: "uuid5", onDuplicate: "last-wins" });
    validator.validate({ index: 0, location: "x", id: 5, vector: [1, 2], payload: {} });
    const v = validator.validate({ index: 1, location: "y", id: 5, vector: [3, 4], payload: {} });
    expect(v.ok && v.point.duplicate).toBe(true);
  });
});
