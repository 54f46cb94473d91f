import { open, readdir, readFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";
import type { SourceExtractor } from "./records.js";

/** Directories never indexed, whatever .gitignore says. */
const ALWAYS_SKIPPED = new Set([".git", "node_modules", ".planvec", ".hg", ".svn"]);

export interface DiscoveredFile {
  /** Absolute path. */
  path: string;
  /** Path as stored and shown: relative to the working directory when inside it, forward slashes. */
  file: string;
  extractor: SourceExtractor;
}

export interface KindGlobs {
  extractor: SourceExtractor;
  globs: string[];
}

/**
 * Walk the roots and pick, for every file, the first extractor whose globs match its path
 * relative to its root. `.gitignore` files (at every level) are honoured; VCS and dependency
 * folders are skipped. Sorted, so runs are deterministic.
 */
export async function discoverFiles(
  roots: string[],
  kinds: KindGlobs[],
  cwd = process.cwd(),
): Promise<DiscoveredFile[]> {
  const matchers = kinds.map((kind) => ({
    extractor: kind.extractor,
    match: picomatch(kind.globs, { dot: false, nocase: true }),
  }));
  const found = new Map<string, DiscoveredFile>();
  for (const root of roots) {
    const absoluteRoot = resolve(cwd, root);
    const walk = async (dir: string, rules: { base: string; ignore: Ignore }[]) => {
      const local = await readGitignore(dir);
      const scope = local ? [...rules, { base: dir, ignore: local }] : rules;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const path = join(dir, entry.name);
        const isDir = entry.isDirectory();
        if (isDir && ALWAYS_SKIPPED.has(entry.name)) continue;
        if (isIgnored(scope, path, isDir)) continue;
        if (isDir) {
          await walk(path, scope);
          continue;
        }
        if (!entry.isFile()) continue;
        const relativeToRoot = toPosix(relative(absoluteRoot, path));
        const kind = matchers.find((matcher) => matcher.match(relativeToRoot));
        if (kind && !found.has(path))
          found.set(path, { path, file: displayFile(path, cwd), extractor: kind.extractor });
      }
    };
    await walk(absoluteRoot, []);
  }
  return [...found.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

async function readGitignore(dir: string): Promise<Ignore | null> {
  try {
    return ignore().add(await readFile(join(dir, ".gitignore"), "utf8"));
  } catch {
    return null;
  }
}

function isIgnored(rules: { base: string; ignore: Ignore }[], path: string, isDir: boolean): boolean {
  for (const rule of rules) {
    const rel = toPosix(relative(rule.base, path));
    if (rel && !rel.startsWith("..") && rule.ignore.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** True when the first 8 KiB contain a NUL byte (and no UTF-16 byte-order mark). */
export async function looksBinary(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    if (
      head.length >= 2 &&
      ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
    )
      return false;
    return head.includes(0);
  } finally {
    await handle.close();
  }
}

export function displayFile(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return toPosix(rel.startsWith("..") || rel === "" ? path : rel);
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
