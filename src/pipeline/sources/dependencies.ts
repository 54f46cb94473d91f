/**
 * Dependency manifests → `dependencies` collection: one record per declared dependency in
 * `package.json`, `go.mod`, `requirements*.txt`, `pyproject.toml` and `Cargo.toml`.
 * Pure: bytes in, records and warnings out, never throws.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import type { ExtractResult, SourceRecord, SourceWarning } from "../records.js";
import {
  baseName,
  decodeSource,
  describeValue,
  guardExtractor,
  isRecord,
  KeyAllocator,
  warning,
} from "./common.js";
import { normalizePypiName, parsePep508 } from "./pep508.js";
import { jsonErrorLine, jsonPointerLines, TomlLocator, toPointer } from "./positions.js";

export type Ecosystem = "npm" | "go" | "pypi" | "cargo";

/** What one dependency record carries besides the base payload fields. */
export interface DependencyFields {
  name: string;
  /** Version constraint as written (`^4.18.2`, `>=2.31,<3`, `v1.9.1`), or null when none. */
  version: string | null;
  ecosystem: Ecosystem;
  /** Needed only to develop, test or build the project, not to run it. */
  dev: boolean;
  /** Manifest group: npm section, Poetry/PEP 735 group, optional extra, Cargo table, pip file. */
  group: string;
  /** Name of the project declaring it (package.json `name`, go `module`, …) when known. */
  project?: string;
  extras?: string[];
  marker?: string;
  features?: string[];
  optional?: boolean;
  /** Where it comes from when not the registry: a git URL, a local path, a direct URL. */
  source?: string;
  /** go.mod `// indirect`. */
  indirect?: boolean;
  /** go.mod `replace` target for this module. */
  replace?: string;
  /** `include`/`constraint` for pip `-r`/`-c` lines (then `name` is the referenced file). */
  relation?: "include" | "constraint";
}

interface Entry extends DependencyFields {
  section: string[];
  line: number;
}

const ECOSYSTEM_LABEL: Record<Ecosystem, string> = {
  npm: "npm package",
  go: "Go module",
  pypi: "Python package",
  cargo: "Rust crate",
};

const DEV_GROUP =
  /^(dev|develop|development|test|tests|testing|lint|linting|docs?|typing|types|check|ci|bench|benchmarks?)$/i;

function extractDependencies(file: string, bytes: Uint8Array): ExtractResult {
  const { text, warnings } = decodeSource(file, bytes);
  if (!text) return { records: [], warnings };
  const name = baseName(file).toLowerCase();
  let entries: Entry[] = [];
  if (name === "package.json") entries = fromPackageJson(file, text, warnings);
  else if (name === "go.mod") entries = fromGoMod(file, text, warnings);
  else if (name === "pyproject.toml") entries = fromPyproject(file, text, warnings);
  else if (name === "cargo.toml") entries = fromCargo(file, text, warnings);
  else if (name.endsWith(".txt") || name.endsWith(".in")) entries = fromRequirements(file, text, warnings);
  else
    warnings.push(warning(file, 1, "unknown-manifest", `${file}: not a dependency manifest planvec knows`));
  return { records: toRecords(file, entries), warnings };
}

function toRecords(file: string, entries: Entry[]): SourceRecord[] {
  const keys = new KeyAllocator();
  return entries.map((entry) => {
    const { section, line, ...fields } = entry;
    const title = entry.version ? `${entry.name} ${entry.version}` : entry.name;
    return {
      collection: "dependencies",
      key: keys.take(`${file}#dep:${section.join(".")}:${entry.name}`),
      text: describeDependency(file, entry),
      payload: { file, line, title, section, kind: "dependency-manifest", ...fields },
    };
  });
}

/** The sentence embedded for a dependency: what it is, how it is constrained, what it is for. */
export function describeDependency(file: string, entry: DependencyFields): string {
  if (entry.relation) {
    const verb = entry.relation === "include" ? "includes the requirements of" : "is constrained by";
    return `pip requirements file ${file} ${verb} ${entry.name}`;
  }
  const parts = [`${ECOSYSTEM_LABEL[entry.ecosystem]} ${entry.name}`, entry.version ?? "(any version)"];
  if (entry.extras?.length) parts.push(`with extras ${entry.extras.join(", ")}`);
  if (entry.features?.length) parts.push(`with features ${entry.features.join(", ")}`);
  if (entry.source && entry.source !== entry.version) parts.push(`from ${entry.source}`);
  if (entry.marker) parts.push(`when ${entry.marker}`);
  if (entry.replace) parts.push(`replaced by ${entry.replace}`);
  let role = entry.dev ? "development dependency" : "runtime dependency";
  if (entry.group.toLowerCase().includes("peer")) role = "peer dependency";
  else if (entry.optional || entry.group.toLowerCase().includes("optional")) role = `optional ${role}`;
  if (entry.indirect) role = "indirect dependency";
  if (entry.group === "build-dependencies" || entry.group === "build-system") role = "build dependency";
  if (entry.group === "workspace-dependencies") role = "dependency shared by the workspace members";
  const groupNote = /^(dependencies|require|requirements|project)$/.test(entry.group)
    ? ""
    : `, group ${entry.group}`;
  const project = entry.project ? ` (project ${entry.project})` : "";
  return `${parts.join(" ")} (${role}${groupNote}) in ${file}${project}`;
}

// ---------------------------------------------------------------- npm

const NPM_SECTIONS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;

function fromPackageJson(file: string, text: string, warnings: SourceWarning[]): Entry[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    warnings.push(
      warning(file, jsonErrorLine(text, message), "invalid-json", `${file}: invalid JSON (${message})`),
    );
    return [];
  }
  if (!isRecord(manifest)) {
    warnings.push(warning(file, 1, "invalid-manifest", `${file}: package.json must be a JSON object`));
    return [];
  }
  const lines = jsonPointerLines(text);
  const project = typeof manifest.name === "string" ? manifest.name : undefined;
  const entries: Entry[] = [];
  for (const section of NPM_SECTIONS) {
    const deps = manifest[section];
    if (deps === undefined) continue;
    if (!isRecord(deps)) {
      const line = lines.get(toPointer([section])) ?? 1;
      warnings.push(
        warning(file, line, "invalid-section", `${file}: "${section}" must be an object of name: version`),
      );
      continue;
    }
    for (const [name, version] of Object.entries(deps)) {
      const line = lines.get(toPointer([section, name])) ?? lines.get(toPointer([section])) ?? 1;
      if (typeof version !== "string") {
        warnings.push(
          warning(
            file,
            line,
            "invalid-version",
            `${file}: ${section}.${name} must be a version string, got ${describeValue(version)}`,
          ),
        );
        continue;
      }
      const source = npmSource(version);
      entries.push({
        name,
        version,
        ecosystem: "npm",
        dev: section === "devDependencies",
        group: section,
        section: [section],
        line,
        ...(project ? { project } : {}),
        ...(section === "optionalDependencies" ? { optional: true } : {}),
        ...(source ? { source } : {}),
      });
    }
  }
  return entries;
}

function npmSource(version: string): string | undefined {
  if (/^(git\+|git:|github:|https?:|file:|link:|workspace:)/.test(version)) return version;
  if (/^[\w.-]+\/[\w.-]+(#.*)?$/.test(version)) return `github:${version}`;
  return undefined;
}

// ---------------------------------------------------------------- Go

function fromGoMod(file: string, text: string, warnings: SourceWarning[]): Entry[] {
  const lines = text.split("\n");
  let module: string | undefined;
  const requires: { path: string; version: string; indirect: boolean; line: number }[] = [];
  const replaces = new Map<string, string>();
  let block: string | null = null;
  let blockLine = 0;
  lines.forEach((raw, index) => {
    const line = index + 1;
    const commentAt = raw.indexOf("//");
    const comment = commentAt === -1 ? "" : raw.slice(commentAt + 2).trim();
    const code = (commentAt === -1 ? raw : raw.slice(0, commentAt)).trim();
    if (!code) return;
    if (block) {
      if (code === ")") {
        block = null;
        return;
      }
      goDirective(block, code, comment, line);
      return;
    }
    const match = /^(\w+)\s*(.*)$/.exec(code);
    if (!match?.[1]) {
      warnings.push(
        warning(file, line, "invalid-go-mod", `${file}:${line}: cannot read "${code.slice(0, 60)}"`),
      );
      return;
    }
    const [, verb, rest = ""] = match;
    if (rest === "(") {
      block = verb;
      blockLine = line;
      return;
    }
    if (verb === "module") module = unquoteGo(rest);
    else goDirective(verb, rest, comment, line);
  });
  if (block)
    warnings.push(
      warning(file, blockLine, "unclosed-block", `${file}:${blockLine}: "${block} (" is never closed`),
    );

  function goDirective(verb: string, code: string, comment: string, line: number) {
    if (verb === "require") {
      const fields = code.split(/\s+/).map(unquoteGo);
      const [path, version] = fields;
      if (!path || !version || fields.length !== 2) {
        warnings.push(
          warning(
            file,
            line,
            "invalid-require",
            `${file}:${line}: expected "module/path vX.Y.Z", got "${code}"`,
          ),
        );
        return;
      }
      requires.push({ path, version, indirect: /(^|;)\s*indirect\s*(;|$)/.test(comment), line });
    } else if (verb === "replace") {
      const arrow = code.split("=>");
      const from = arrow[0]?.trim().split(/\s+/)[0];
      const to = arrow[1]?.trim();
      if (arrow.length !== 2 || !from || !to) {
        warnings.push(
          warning(file, line, "invalid-replace", `${file}:${line}: expected "old => new", got "${code}"`),
        );
        return;
      }
      replaces.set(unquoteGo(from), to.split(/\s+/).map(unquoteGo).join(" "));
    }
    // go, toolchain, exclude, retract, tool, godebug: not dependencies.
  }

  return requires.map((r) => {
    const replace = replaces.get(r.path);
    return {
      name: r.path,
      version: r.version,
      ecosystem: "go" as const,
      dev: false,
      group: "require",
      section: ["require"],
      line: r.line,
      indirect: r.indirect,
      ...(module ? { project: module } : {}),
      ...(replace ? { replace } : {}),
    };
  });
}

function unquoteGo(value: string): string {
  const v = value.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("`") && v.endsWith("`"))) return v.slice(1, -1);
  return v;
}

// ---------------------------------------------------------------- pip requirements files

function fromRequirements(file: string, text: string, warnings: SourceWarning[]): Entry[] {
  const group = requirementsGroup(file);
  const dev = DEV_GROUP.test(group);
  const entries: Entry[] = [];
  const rawLines = text.split("\n");
  for (let i = 0; i < rawLines.length; i++) {
    const line = i + 1;
    let logical = rawLines[i] ?? "";
    // A trailing backslash continues the requirement on the next line.
    while (/\\\s*$/.test(logical) && i + 1 < rawLines.length) {
      logical = logical.replace(/\\\s*$/, " ") + (rawLines[++i] ?? "");
    }
    const content = logical.replace(/(^|\s)#.*$/, "").trim();
    if (!content) continue;
    const base = { ecosystem: "pypi" as const, dev, group, section: ["requirements"], line };
    const option = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)/.exec(content);
    if (option?.[2]) {
      const relation =
        option[1]?.includes("c") && !option[1]?.includes("requirement") ? "constraint" : "include";
      entries.push({ ...base, name: option[2], version: null, relation });
      continue;
    }
    const editable = /^(-e|--editable)(?:\s+|=)(\S+)/.exec(content);
    if (editable?.[2]) {
      const target = editable[2];
      const name =
        /#egg=([A-Za-z0-9._-]+)/.exec(target)?.[1] ??
        target
          .replace(/[/\\]+$/, "")
          .split(/[/\\]/)
          .pop() ??
        target;
      entries.push({ ...base, name, version: null, source: target });
      continue;
    }
    if (content.startsWith("-")) continue; // --index-url, --find-links, --hash, -i …: not dependencies
    const requirement = content.replace(/\s--?[a-z][\w-]*(?:[=\s]\S+)?/g, "").trim(); // per-line options (--hash=…)
    if (/^(https?|file|git\+\w+):\/\/|^\.{0,2}\//.test(requirement)) {
      const egg = /#egg=([A-Za-z0-9._-]+)/.exec(requirement)?.[1];
      const wheel = /([A-Za-z0-9_.]+)-(\d[^-]*)-[^/]*\.whl$/.exec(requirement);
      const name = egg ?? wheel?.[1] ?? requirement.split(/[/#]/).filter(Boolean).pop() ?? requirement;
      entries.push({ ...base, name, version: wheel?.[2] ?? null, source: requirement });
      continue;
    }
    const parsed = parsePep508(requirement);
    if ("error" in parsed) {
      warnings.push(warning(file, line, "invalid-requirement", `${file}:${line}: ${parsed.error}`));
      continue;
    }
    entries.push({ ...base, ...pep508Fields(parsed) });
  }
  return entries;
}

/** `requirements-dev.txt` → "dev", `requirements/test.txt` → "test", `requirements.txt` → "requirements". */
function requirementsGroup(file: string): string {
  const stem = baseName(file).replace(/\.(txt|in)$/i, "");
  const suffix = /^requirements[-_.]?(.+)$/i.exec(stem)?.[1];
  if (suffix) return suffix;
  if (/^requirements$/i.test(stem)) return "requirements";
  return stem;
}

function pep508Fields(parsed: Exclude<ReturnType<typeof parsePep508>, { error: string }>) {
  return {
    name: parsed.name,
    version: parsed.specifier,
    ...(parsed.extras.length ? { extras: parsed.extras } : {}),
    ...(parsed.marker ? { marker: parsed.marker } : {}),
    ...(parsed.url ? { source: parsed.url } : {}),
  };
}

// ---------------------------------------------------------------- TOML manifests

function readToml(
  file: string,
  text: string,
  warnings: SourceWarning[],
): Record<string, unknown> | undefined {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const line = error instanceof TomlError ? error.line : 1;
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    warnings.push(warning(file, line, "invalid-toml", `${file}:${line}: invalid TOML (${message})`));
    return undefined;
  }
}

function fromPyproject(file: string, text: string, warnings: SourceWarning[]): Entry[] {
  const doc = readToml(file, text, warnings);
  if (!doc) return [];
  const at = new TomlLocator(text);
  const entries: Entry[] = [];
  const projectTable = isRecord(doc.project) ? doc.project : undefined;
  const poetry = isRecord(doc.tool) && isRecord(doc.tool.poetry) ? doc.tool.poetry : undefined;
  const project = stringOr(projectTable?.name) ?? stringOr(poetry?.name);
  const withProject = project ? { project } : {};

  const pep508List = (list: unknown, path: string[], group: string, dev: boolean, optional: boolean) => {
    const keyLine = at.keyLine(path.slice(0, -1), path.at(-1) ?? "") ?? 1;
    if (!Array.isArray(list)) {
      warnings.push(
        warning(
          file,
          keyLine,
          "invalid-section",
          `${file}: ${path.join(".")} must be an array of requirement strings`,
        ),
      );
      return;
    }
    let searchFrom = keyLine;
    for (const item of list) {
      if (typeof item !== "string") {
        // PEP 735 `{include-group = "…"}` entries are references, not dependencies.
        if (isRecord(item) && typeof item["include-group"] === "string") continue;
        warnings.push(
          warning(
            file,
            keyLine,
            "invalid-requirement",
            `${file}: ${path.join(".")} item ${describeValue(item)} is not a string`,
          ),
        );
        continue;
      }
      const line = at.lineContaining(item, searchFrom) ?? keyLine;
      searchFrom = line;
      const parsed = parsePep508(item);
      if ("error" in parsed) {
        warnings.push(warning(file, line, "invalid-requirement", `${file}:${line}: ${parsed.error}`));
        continue;
      }
      entries.push({
        ...pep508Fields(parsed),
        ecosystem: "pypi",
        dev,
        group,
        section: path,
        line,
        ...(optional ? { optional: true } : {}),
        ...withProject,
      });
    }
  };

  if (projectTable) {
    if (projectTable.dependencies !== undefined) {
      pep508List(projectTable.dependencies, ["project", "dependencies"], "project", false, false);
    }
    const optionalDeps = projectTable["optional-dependencies"];
    if (isRecord(optionalDeps)) {
      for (const [extra, list] of Object.entries(optionalDeps)) {
        pep508List(list, ["project", "optional-dependencies", extra], extra, DEV_GROUP.test(extra), true);
      }
    }
  }
  if (isRecord(doc["dependency-groups"])) {
    for (const [group, list] of Object.entries(doc["dependency-groups"])) {
      pep508List(list, ["dependency-groups", group], group, true, false);
    }
  }
  const tool = isRecord(doc.tool) ? doc.tool : {};
  // uv's and PDM's own development lists, used before PEP 735 existed.
  if (isRecord(tool.uv) && tool.uv["dev-dependencies"] !== undefined) {
    pep508List(tool.uv["dev-dependencies"], ["tool", "uv", "dev-dependencies"], "dev", true, false);
  }
  if (isRecord(tool.pdm) && isRecord(tool.pdm["dev-dependencies"])) {
    for (const [group, list] of Object.entries(tool.pdm["dev-dependencies"])) {
      pep508List(list, ["tool", "pdm", "dev-dependencies", group], group, true, false);
    }
  }
  const buildSystem = isRecord(doc["build-system"]) ? doc["build-system"] : undefined;
  if (buildSystem?.requires !== undefined) {
    pep508List(buildSystem.requires, ["build-system", "requires"], "build-system", true, false);
  }
  if (poetry) {
    const poetryTable = (table: unknown, path: string[], group: string, dev: boolean) => {
      if (!isRecord(table)) return;
      for (const [name, spec] of Object.entries(table)) {
        if (name.toLowerCase() === "python") continue; // the interpreter constraint, not a package
        const line = at.keyLine(path, name) ?? 1;
        const entry = tableDependency(file, name, spec, line, warnings, "pypi");
        if (entry) entries.push({ ...entry, dev, group, section: path, line, ...withProject });
      }
    };
    poetryTable(poetry.dependencies, ["tool", "poetry", "dependencies"], "main", false);
    poetryTable(poetry["dev-dependencies"], ["tool", "poetry", "dev-dependencies"], "dev", true);
    if (isRecord(poetry.group)) {
      for (const [group, body] of Object.entries(poetry.group)) {
        if (isRecord(body)) {
          poetryTable(
            body.dependencies,
            ["tool", "poetry", "group", group, "dependencies"],
            group,
            group !== "main",
          );
        }
      }
    }
  }
  return entries;
}

const CARGO_SECTIONS = ["dependencies", "dev-dependencies", "build-dependencies"] as const;

function fromCargo(file: string, text: string, warnings: SourceWarning[]): Entry[] {
  const doc = readToml(file, text, warnings);
  if (!doc) return [];
  const at = new TomlLocator(text);
  const entries: Entry[] = [];
  const project = isRecord(doc.package) ? stringOr(doc.package.name) : undefined;
  const withProject = project ? { project } : {};
  const table = (deps: unknown, path: string[], section: string) => {
    if (deps === undefined) return;
    if (!isRecord(deps)) {
      warnings.push(
        warning(
          file,
          at.tableLine(path) ?? 1,
          "invalid-section",
          `${file}: [${path.join(".")}] must be a table`,
        ),
      );
      return;
    }
    for (const [name, spec] of Object.entries(deps)) {
      const line = at.keyLine(path, name) ?? 1;
      const entry = tableDependency(file, name, spec, line, warnings, "cargo");
      if (entry) {
        entries.push({
          ...entry,
          dev: section === "dev-dependencies" || section === "build-dependencies",
          group: section,
          section: path,
          line,
          ...withProject,
        });
      }
    }
  };
  for (const section of CARGO_SECTIONS) table(doc[section], [section], section);
  if (isRecord(doc.target)) {
    for (const [target, body] of Object.entries(doc.target)) {
      if (!isRecord(body)) continue;
      for (const section of CARGO_SECTIONS) table(body[section], ["target", target, section], section);
    }
  }
  if (isRecord(doc.workspace))
    table(doc.workspace.dependencies, ["workspace", "dependencies"], "workspace-dependencies");
  return entries;
}

/**
 * A Poetry or Cargo dependency: `"1.0"` or an inline table `{ version, features, optional,
 * extras, git, path, workspace = true, package = "real-name" }`.
 */
function tableDependency(
  file: string,
  name: string,
  spec: unknown,
  line: number,
  warnings: SourceWarning[],
  ecosystem: "pypi" | "cargo",
): Omit<Entry, "dev" | "group" | "section" | "line"> | undefined {
  if (typeof spec === "string") return { name, version: spec, ecosystem };
  // Poetry allows a list of constraint tables (per Python version): keep them all as one.
  if (Array.isArray(spec) && spec.every(isRecord)) {
    const versions = spec.map((s) => stringOr(s.version)).filter((v): v is string => Boolean(v));
    return { name, version: versions.length ? versions.join(" | ") : null, ecosystem };
  }
  if (!isRecord(spec)) {
    warnings.push(
      warning(
        file,
        line,
        "invalid-dependency",
        `${file}:${line}: ${name} must be a version string or a table, got ${describeValue(spec)}`,
      ),
    );
    return undefined;
  }
  const version = stringOr(spec.version) ?? (spec.workspace === true ? "workspace" : null);
  const source =
    stringOr(spec.git) ??
    (stringOr(spec.path) ? `path ${stringOr(spec.path)}` : undefined) ??
    stringOr(spec.url);
  const features = stringList(spec.features);
  const extras = stringList(spec.extras);
  const renamed = stringOr(spec.package);
  return {
    name: renamed && renamed !== name ? `${name} (package ${renamed})` : name,
    version,
    ecosystem,
    ...(features.length ? { features } : {}),
    ...(extras.length ? { extras } : {}),
    ...(spec.optional === true ? { optional: true } : {}),
    ...(source ? { source } : {}),
    ...(typeof spec.markers === "string" ? { marker: spec.markers } : {}),
  };
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Normalised name for comparing the same PyPI package across manifests. */
export { normalizePypiName };

/** The dependency-manifest extractor. */
export const dependencyExtractor = guardExtractor(
  "dependency-manifest",
  [
    "**/package.json",
    "**/go.mod",
    "**/requirements*.txt",
    "**/requirements/*.txt",
    "**/requirements*.in",
    "**/pyproject.toml",
    "**/Cargo.toml",
  ],
  extractDependencies,
);
