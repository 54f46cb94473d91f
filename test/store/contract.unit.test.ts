import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  isPointId,
  normalizePointId,
  PLANVEC_ID_NAMESPACE,
  parseStoreSpec,
  StoreError,
  uuidV5ForKey,
} from "../../src/store/contract.js";
import { readPortableFile } from "../../src/store/portable.js";

describe("point ids", () => {
  it("accepts unsigned integers and UUIDs in Qdrant's forms, normalised", () => {
    expect(normalizePointId(0)).toBe(0);
    expect(normalizePointId("550E8400-E29B-41D4-A716-446655440000")).toBe(
      "550e8400-e29b-41d4-a716-446655440000",
    );
    expect(normalizePointId("550e8400e29b41d4a716446655440000")).toBe("550e8400-e29b-41d4-a716-446655440000");
    expect(normalizePointId("{550e8400-e29b-41d4-a716-446655440000}")).toBe(
      "550e8400-e29b-41d4-a716-446655440000",
    );
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, "12", "x", null, {}]) {
      expect(isPointId(bad)).toBe(false);
      expect(() => normalizePointId(bad)).toThrow(StoreError);
    }
  });

  it("derives RFC 4122 UUIDv5 ids (checked against Python's uuid.uuid5)", () => {
    // python3 -c "import uuid; ns=uuid.uuid5(uuid.NAMESPACE_URL,'https://planvec.dev/ns/point'); print(ns, uuid.uuid5(ns,'a'))"
    expect(PLANVEC_ID_NAMESPACE).toBe("4fcae907-1baa-5937-a746-9bc95b0a17b2");
    expect(uuidV5ForKey("a")).toBe("0e3b4b5e-04db-5f35-900e-55f85cc0b266");
    expect(uuidV5ForKey("a")).toBe(uuidV5ForKey("a"));
    expect(uuidV5ForKey("b")).not.toBe(uuidV5ForKey("a"));
  });
});

describe("store specs", () => {
  it("parses embedded and qdrant specs", () => {
    expect(parseStoreSpec()).toEqual({ kind: "embedded", path: "./.planvec" });
    expect(parseStoreSpec("embedded:/data/x")).toEqual({ kind: "embedded", path: "/data/x" });
    expect(parseStoreSpec("qdrant:http://h:6333")).toEqual({ kind: "qdrant", url: "http://h:6333" });
    expect(parseStoreSpec("qdrant:")).toEqual({ kind: "qdrant", url: null });
    expect(parseStoreSpec("https://cloud:6333")).toEqual({ kind: "qdrant", url: "https://cloud:6333" });
    for (const bad of ["embedded:", "qdrant:ftp://x", "redis:x"]) {
      expect(() => parseStoreSpec(bad)).toThrow(/invalid store spec/);
    }
  });
});

describe("portable format", () => {
  it("names the file and line of a bad point, and detects truncation", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planvec-portable-"));
    try {
      const header = {
        format: "planvec.points",
        version: 1,
        collection: "c",
        dims: 2,
        distance: "Cosine",
        modelId: null,
        createdAt: "",
      };
      const bad = join(dir, "bad.jsonl.gz");
      await writeFile(
        bad,
        gzipSync(
          `${JSON.stringify(header)}\n{"id":1,"vector":[1,2],"payload":{}}\n{"id":2,"vector":[1],"payload":{}}\n`,
        ),
      );
      const { points } = await readPortableFile(bad);
      const read = async () => {
        for await (const _ of points) {
          // drain
        }
      };
      await expect(read()).rejects.toThrow(/bad\.jsonl\.gz:3: "vector" must be an array of 2 numbers/);
      const truncated = join(dir, "t.jsonl.gz");
      await writeFile(
        truncated,
        gzipSync(`${JSON.stringify({ ...header, pointCount: 5 })}\n{"id":1,"vector":[1,2],"payload":{}}\n`),
      );
      const t = await readPortableFile(truncated);
      await expect(
        (async () => {
          for await (const _ of t.points) {
            // drain
          }
        })(),
      ).rejects.toThrow(/announces 5 points but the file holds 1/);
      const notGzip = join(dir, "n.jsonl.gz");
      await writeFile(notGzip, "hello");
      await expect(readPortableFile(notGzip)).rejects.toMatchObject({ code: "invalid_argument" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
