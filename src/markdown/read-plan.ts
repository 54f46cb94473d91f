import { readFile } from "node:fs/promises";
import { InputError } from "../core/errors.js";
import { parsePlan } from "./plan-parser.js";
import type { ParsedPlan, ParseOptions } from "./types.js";

export interface ParsedPlanFile extends ParsedPlan {
  file: string;
}

/** A plan file's bytes. An unreadable file is an InputError naming it. */
export async function readPlanBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new InputError("read plan", "unreadable_file", `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Read a plan file as bytes and parse it. */
export async function parsePlanFile(file: string, options: ParseOptions = {}): Promise<ParsedPlanFile> {
  return { file, ...parsePlan(await readPlanBytes(file), options) };
}
