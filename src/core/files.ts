import { readdir, stat } from "node:fs/promises";
import { extname, join, relative } from "node:path";
import { UsageError } from "./errors.js";

/** Folders never worth walking into for plans. */
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", ".planvec", "dist"]);

/**
 * Expand command-line paths into files: a file stands for itself, a directory for every file
 * with one of `extensions` below it (sorted, dependency and VCS folders skipped). A missing
 * path is a usage error that names it.
 */
export async function expandPaths(
  paths: readonly string[],
  extensions: readonly string[] = [".md"],
): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new UsageError("expand paths", "path_not_found", `no such file or directory: ${path}`, {
        cause: error,
      });
    }
    if (info.isDirectory()) files.push(...(await walk(path, extensions)));
    else files.push(path);
  }
  return files;
}

async function walk(directory: string, extensions: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) found.push(...(await walk(path, extensions)));
    } else if (entry.isFile() && extensions.includes(extname(entry.name).toLowerCase())) {
      found.push(path);
    }
  }
  return found;
}

/** A path as the user should see it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") || rel === "" ? path : rel;
}
