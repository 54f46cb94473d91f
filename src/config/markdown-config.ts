import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { UsageError } from "../core/errors.js";
import type { FenceMode } from "../markdown/types.js";

export interface MarkdownConfig {
  fences: FenceMode;
}

const FENCE_MODES: readonly FenceMode[] = ["strict", "lenient"];

/** Where the config file is: `CONFIG_PATH`, else `./planvec.yaml` when it exists. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CONFIG_PATH) return env.CONFIG_PATH;
  return existsSync("planvec.yaml") ? "planvec.yaml" : null;
}

/**
 * The `markdown:` section of the config file (`markdown.fences: strict | lenient`), with
 * `PLANVEC_FENCES` overriding it. CLI flags override both (the caller applies them).
 */
export function loadMarkdownConfig(env: NodeJS.ProcessEnv = process.env): MarkdownConfig {
  const config: MarkdownConfig = { fences: "strict" };
  const file = configFilePath(env);
  if (file) {
    let document: unknown;
    try {
      document = parseYaml(readFileSync(file, "utf8"));
    } catch (error) {
      throw new UsageError(
        "load config",
        "config_unreadable",
        `cannot read config file ${file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const fences = (document as { markdown?: { fences?: unknown } } | null)?.markdown?.fences;
    if (fences !== undefined) config.fences = parseFenceMode(fences, `${file}: markdown.fences`);
  }
  if (env.PLANVEC_FENCES) config.fences = parseFenceMode(env.PLANVEC_FENCES, "PLANVEC_FENCES");
  return config;
}

/** Validate a fence mode from any source; `where` names the source in the error. */
export function parseFenceMode(value: unknown, where: string): FenceMode {
  if (typeof value === "string" && (FENCE_MODES as readonly string[]).includes(value))
    return value as FenceMode;
  throw new UsageError(
    "load config",
    "invalid_fence_mode",
    `${where} is ${JSON.stringify(value)}; expected one of: ${FENCE_MODES.join(", ")}`,
  );
}
