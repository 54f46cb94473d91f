import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExtractResult, SourceExtractor, SourceRecord } from "../../../src/pipeline/records.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/sources/", import.meta.url));

/** Run an extractor on a fixture, with `file` relative to the fixture area as the indexed path. */
export function extractFixture(extractor: SourceExtractor, area: string, file: string): ExtractResult {
  return extractor.extract(file, readFileSync(join(FIXTURES, area, file)));
}

export function fixtureLines(area: string, file: string): string[] {
  return readFileSync(join(FIXTURES, area, file), "utf8").split("\n");
}

export function byKey(records: SourceRecord[]): Map<string, SourceRecord> {
  return new Map(records.map((r) => [r.key, r]));
}

export function get(records: SourceRecord[], key: string): SourceRecord {
  const found = records.find((r) => r.key === key);
  if (!found) throw new Error(`no record ${key}; have:\n${records.map((r) => r.key).join("\n")}`);
  return found;
}

export const utf8 = (text: string) => new TextEncoder().encode(text);
