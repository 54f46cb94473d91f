/**
 * PEP 508 dependency specifiers (`name[extra] >=1.0, <2 ; python_version < "3.12"`,
 * `name @ https://…`). Only the parts we index are split out; the version constraint is kept
 * as written. Hand-written because no maintained JS package parses PEP 508, and the grammar
 * we need is one line.
 */

export interface Pep508Requirement {
  name: string;
  extras: string[];
  /** Version specifier as written (`>=2.31,<3`), or null when none. */
  specifier: string | null;
  /** Direct reference after `@`, or null. */
  url: string | null;
  /** Environment marker after `;`, or null. */
  marker: string | null;
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/;
const CLAUSE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9*+!._-]+\s*$/;

/** Parse one requirement; returns an error message instead of throwing on bad input. */
export function parsePep508(input: string): Pep508Requirement | { error: string } {
  const text = input.trim();
  const nameMatch = NAME.exec(text);
  if (!nameMatch?.[1]) return { error: `no package name at the start of "${text.slice(0, 60)}"` };
  const name = nameMatch[1];
  let rest = text.slice(name.length).trimStart();
  let extras: string[] = [];
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close === -1) return { error: `unclosed "[" in the extras of ${name}` };
    extras = rest
      .slice(1, close)
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    rest = rest.slice(close + 1).trimStart();
  }
  let marker: string | null = null;
  let url: string | null = null;
  if (rest.startsWith("@")) {
    // In a URL requirement the marker must be preceded by whitespace: `;` may occur in URLs.
    const markerAt = rest.search(/\s;/);
    url = (markerAt === -1 ? rest.slice(1) : rest.slice(1, markerAt)).trim();
    if (markerAt !== -1) marker = rest.slice(markerAt).trim().slice(1).trim() || null;
    if (!url) return { error: `empty URL after "@" for ${name}` };
    return { name, extras, specifier: null, url, marker };
  }
  const semicolon = rest.indexOf(";");
  if (semicolon !== -1) {
    marker = rest.slice(semicolon + 1).trim() || null;
    rest = rest.slice(0, semicolon).trim();
  }
  let specifier = rest.trim();
  if (specifier.startsWith("(") && specifier.endsWith(")")) specifier = specifier.slice(1, -1).trim();
  if (specifier && !specifier.split(",").every((clause) => CLAUSE.test(clause))) {
    return { error: `"${specifier.slice(0, 60)}" is not a PEP 440 version specifier for ${name}` };
  }
  return { name, extras, specifier: specifier ? specifier.replace(/\s+/g, "") : null, url, marker };
}

/** PEP 503 normalised name: lower case, runs of `-_.` as one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
