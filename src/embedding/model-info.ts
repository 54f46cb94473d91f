import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import type { ModelSpec } from "./model-files.js";

/** One file of a model directory, with its checksum and whether SHA256SUMS agrees. */
export interface ModelFileInfo {
  path: string;
  bytes: number;
  sha256: string;
  /** `ok`, `mismatch` (file differs from SHA256SUMS), or `unlisted` (no expected checksum). */
  check: "ok" | "mismatch" | "unlisted";
}

export interface ModelInfo {
  modelId: string;
  dir: string;
  variant: string;
  onnx: string;
  dims: number;
  maxTokens: number;
  runtime: { onnxruntimeNode: string; tokenizer: string; node: string };
  files: ModelFileInfo[];
  /** Files listed in SHA256SUMS that are missing from the directory. */
  missing: string[];
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(name);
    let dir = main;
    for (let i = 0; i < 6; i++) {
      dir = join(dir, "..");
      const manifest = join(dir, "package.json");
      if (existsSync(manifest)) {
        const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
        if (parsed.name === name) return parsed.version ?? "unknown";
      }
    }
  } catch {
    // Fall through: report unknown rather than fail `model info`.
  }
  return "unknown";
}

/**
 * Describe a model directory: every file with size and sha256, checked against the
 * directory's SHA256SUMS (written by scripts/embedding/build_model.py), and the runtime versions.
 */
export async function describeModel(spec: ModelSpec): Promise<ModelInfo> {
  const sumsPath = join(spec.dir, "SHA256SUMS");
  const expected = new Map<string, string>();
  if (existsSync(sumsPath)) {
    for (const line of readFileSync(sumsPath, "utf8").split("\n")) {
      const match = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
      if (match?.[1] && match[2]) expected.set(match[2], match[1]);
    }
  }
  const files: ModelFileInfo[] = [];
  for (const path of listFiles(spec.dir)) {
    const name = relative(spec.dir, path).split("\\").join("/");
    if (name === "SHA256SUMS") continue;
    const sha256 = await sha256File(path);
    const want = expected.get(name);
    files.push({
      path: name,
      bytes: statSync(path).size,
      sha256,
      check: want === undefined ? "unlisted" : want === sha256 ? "ok" : "mismatch",
    });
  }
  const present = new Set(files.map((f) => f.path));
  return {
    modelId: spec.modelId,
    dir: spec.dir,
    variant: spec.variant,
    onnx: relative(spec.dir, spec.onnxPath),
    dims: spec.dims,
    maxTokens: spec.maxTokens,
    runtime: {
      onnxruntimeNode: packageVersion("onnxruntime-node"),
      tokenizer: `@huggingface/tokenizers ${packageVersion("@huggingface/tokenizers")}`,
      node: process.version,
    },
    files,
    missing: [...expected.keys()].filter((name) => !present.has(name)),
  };
}
