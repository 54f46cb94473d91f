/**
 * Load the effective configuration: defaults < YAML file < environment < CLI flags, each value
 * remembering where it came from, validated once against the schema with every problem listed.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { UsageError } from "../core/errors.js";
import { redactValue } from "./redact.js";
import { configSchema, type PlanvecConfig } from "./schema.js";

/** Where a value came from: `default`, `file:PATH`, `env:NAME` or `flag:--name`. */
export type ConfigSource = string;

export interface ConfigProblem {
  /** Dotted key, e.g. `server.port`. */
  key: string;
  /** The offending value (redacted when secret), or undefined when missing. */
  value: unknown;
  expected: string;
  source: ConfigSource;
}

/** The configuration is invalid; `problems` lists every one of them, not just the first. */
export class ConfigError extends UsageError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], options?: { cause?: unknown }) {
    const lines = problems.map(
      (p) =>
        `  ${p.key} = ${JSON.stringify(p.value) ?? "(missing)"} (from ${p.source}): expected ${p.expected}`,
    );
    super(
      "load config",
      "invalid_config",
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
      options,
    );
    this.problems = problems;
  }
}

export interface LoadedConfig {
  config: PlanvecConfig;
  /** Source of every leaf value, by dotted key. */
  sources: Record<string, ConfigSource>;
  /** The file read, if any. */
  file: string | null;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags by dotted key, e.g. `{ "server.port": 9000 }`; undefined entries are ignored. */
  flags?: Record<string, unknown>;
  /** Flag spelling per dotted key for the source labels (default `--key`). */
  flagNames?: Record<string, string>;
  /** Config file; default `CONFIG_PATH`, else `./planvec.yaml` when present. */
  file?: string;
  cwd?: string;
}

type Parser = "string" | "int" | "bool";

/** The environment variables the issue names, plus planvec's own `PLANVEC_*` shortcuts. */
export const ENV_VARIABLES: Record<string, { key: string; parse: Parser }> = {
  ENV: { key: "env", parse: "string" },
  LOG_LEVEL: { key: "logLevel", parse: "string" },
  QDRANT_URL: { key: "qdrant.url", parse: "string" },
  QDRANT_HOST: { key: "qdrant.host", parse: "string" },
  QDRANT_PORT: { key: "qdrant.port", parse: "int" },
  QDRANT_API_KEY: { key: "qdrant.apiKey", parse: "string" },
  REDIS_URL: { key: "redis.url", parse: "string" },
  BATCH_SIZE: { key: "embedding.batchSize", parse: "int" },
  PYTHON_DATA_PATH: { key: "migration.pythonDataPath", parse: "string" },
  PLANVEC_STORE: { key: "store.spec", parse: "string" },
  PLANVEC_DATA_DIR: { key: "dataDir", parse: "string" },
  PLANVEC_FENCES: { key: "markdown.fences", parse: "string" },
  PLANVEC_HOST: { key: "server.host", parse: "string" },
  PLANVEC_PORT: { key: "server.port", parse: "int" },
};

const DEFAULTS = configSchema.parse({});

/**
 * Read and validate the configuration. Throws {@link ConfigError} listing every invalid
 * value with its key, value, what was expected and where it came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const values = new Map<string, { value: unknown; source: ConfigSource }>();
  const problems: ConfigProblem[] = [];

  const file = options.file ?? env.CONFIG_PATH ?? (existsSync("planvec.yaml") ? "planvec.yaml" : null);
  if (file) {
    let document: unknown;
    try {
      document = parseYaml(readFileSync(file, "utf8"));
    } catch (error) {
      problems.push({
        key: "(file)",
        value: file,
        expected: `a readable YAML file (${(error as Error).message.split("\n")[0]})`,
        source: env.CONFIG_PATH === file ? "env:CONFIG_PATH" : "default",
      });
    }
    if (document !== null && document !== undefined) {
      if (typeof document !== "object" || Array.isArray(document)) {
        problems.push({
          key: "(root)",
          value: document,
          expected: "a mapping of sections",
          source: `file:${file}`,
        });
      } else {
        flatten(document as Record<string, unknown>, "", (key, value) =>
          values.set(key, { value, source: `file:${file}` }),
        );
      }
    }
  }

  for (const [name, { key, parse }] of Object.entries(ENV_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    values.set(key, { value: coerce(raw, parse), source: `env:${name}` });
  }
  // Generic form: PLANVEC_SECTION__SOME_KEY -> section.someKey (typed like the default).
  for (const [name, raw] of Object.entries(env)) {
    const match = /^PLANVEC_([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
    if (!match || raw === undefined || raw === "") continue;
    const key = `${camel(match[1] as string)}.${camel(match[2] as string)}`;
    values.set(key, { value: coerce(raw, parserFor(key)), source: `env:${name}` });
  }

  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    const flag = options.flagNames?.[key] ?? `--${key}`;
    values.set(key, {
      value: typeof value === "string" ? coerce(value, parserFor(key)) : value,
      source: `flag:${flag}`,
    });
  }

  const input: Record<string, unknown> = {};
  for (const [key, { value }] of values) setPath(input, key, value);
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) problems.push(...describeIssues(parsed.error.issues, values));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const sources: Record<string, ConfigSource> = {};
  flatten(parsed.data as unknown as Record<string, unknown>, "", (key) => {
    sources[key] = values.get(key)?.source ?? "default";
  });
  return { config: parsed.data, sources, file };
}

function describeIssues(
  issues: z.core.$ZodIssue[],
  values: Map<string, { value: unknown; source: ConfigSource }>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const extra of issue.keys) {
        const key = base ? `${base}.${extra}` : extra;
        const known = knownKeys(base);
        const found = [...values].find(([k]) => k === key || k.startsWith(`${key}.`));
        problems.push({
          key,
          value: found ? redactValue(key, found[1].value) : undefined,
          expected: `no such key${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`,
          source: found?.[1].source ?? "file",
        });
      }
      continue;
    }
    const entry = values.get(base);
    problems.push({
      key: base || "(root)",
      value: entry ? redactValue(base, entry.value) : undefined,
      expected: issue.message.replace(/^Invalid input: /, ""),
      source: entry?.source ?? "default",
    });
  }
  return problems;
}

function knownKeys(section: string): string[] {
  let node: unknown = DEFAULTS;
  for (const part of section ? section.split(".") : []) node = (node as Record<string, unknown>)?.[part];
  const shape = section ? (configSchema.shape as Record<string, unknown>)[section] : configSchema.shape;
  const fromShape =
    shape && typeof shape === "object" && "shape" in (shape as object)
      ? Object.keys((shape as { shape: object }).shape)
      : [];
  const unwrapped = (shape as { unwrap?: () => { shape?: object } })?.unwrap?.()?.shape;
  const keys = new Set([
    ...fromShape,
    ...Object.keys(unwrapped ?? {}),
    ...Object.keys((node as object) ?? {}),
  ]);
  return [...keys].sort();
}

function parserFor(key: string): Parser {
  let node: unknown = DEFAULTS;
  for (const part of key.split(".")) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node === "number") return "int";
  if (typeof node === "boolean") return "bool";
  const known = Object.values(ENV_VARIABLES).find((v) => v.key === key);
  return known?.parse ?? "string";
}

/** Convert an environment string; leave it a string when it does not parse, so validation names it. */
function coerce(raw: string, parse: Parser): unknown {
  if (parse === "int") return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (parse === "bool") {
    const lower = raw.trim().toLowerCase();
    if (["true", "1", "yes", "on"].includes(lower)) return true;
    if (["false", "0", "no", "off"].includes(lower)) return false;
    return raw;
  }
  return raw;
}

function camel(snake: string): string {
  return snake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function flatten(
  object: Record<string, unknown>,
  prefix: string,
  visit: (key: string, value: unknown) => void,
): void {
  for (const [name, value] of Object.entries(object)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      flatten(value as Record<string, unknown>, key, visit);
    } else visit(key, value);
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** Read one value by dotted key (undefined when absent). */
export function getPath(object: unknown, key: string): unknown {
  let node: unknown = object;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
