/**
 * Security policies → `security_policies` collection: `SECURITY.md` and `*polic*` files.
 * Markdown is split per section (CommonMark via markdown-it, heading path kept); YAML gives
 * one record per top-level rule (items of top-level lists, or top-level keys). Pure, never
 * throws: bad input becomes warnings.
 */
import MarkdownIt from "markdown-it";
import type Token from "markdown-it/lib/token.mjs";
import { inlineTokensToPlainText } from "../../markdown/plain-text.js";
import type { ExtractResult, SourceRecord, SourceWarning } from "../records.js";
import {
  baseName,
  decodeSource,
  describeValue,
  extensionOf,
  guardExtractor,
  isRecord,
  KeyAllocator,
  packBlocks,
  partKey,
  squash,
  truncate,
  warning,
} from "./common.js";
import { lineOfPointer, pointerSegment, readYaml } from "./positions.js";

interface Block {
  text: string;
  line: number;
}

interface PolicySection {
  /** Key suffix after `#policy:`. */
  id: string;
  title: string;
  path: string[];
  line: number;
  blocks: Block[];
  fields: Record<string, unknown>;
}

let markdown: MarkdownIt | undefined;

function markdownParser(): MarkdownIt {
  if (!markdown) {
    markdown = new MarkdownIt("commonmark", { html: true, linkify: false, typographer: false });
    markdown.enable(["table", "strikethrough"]);
    // Same bound as the plan parser: deeply nested quotes/lists must not blow the stack.
    (markdown.options as { maxNesting?: number }).maxNesting = 200;
  }
  return markdown;
}

function extractPolicies(file: string, bytes: Uint8Array): ExtractResult {
  const { text, warnings } = decodeSource(file, bytes);
  if (!text) return { records: [], warnings };
  const ext = extensionOf(file);
  const sections =
    ext === "yaml" || ext === "yml"
      ? fromYaml(file, text, warnings)
      : fromMarkdown(file, text.replace(/\r\n?/g, "\n"));
  return { records: toRecords(file, sections), warnings };
}

function toRecords(file: string, sections: PolicySection[]): SourceRecord[] {
  const keys = new KeyAllocator();
  const records: SourceRecord[] = [];
  for (const section of sections) {
    if (section.blocks.length === 0) continue; // a heading with nothing under it states no rule
    const base = keys.take(`${file}#policy:${section.id}`);
    const where = section.path.length ? section.path.join(" > ") : section.title;
    // "Policy", not "Security policy": `*polic*` files also hold cache, retention or access rules.
    const header = `Policy ${file}: ${where}.`;
    const parts = packBlocks(
      header,
      section.blocks.map((b) => b.text),
    );
    parts.forEach((part, index) => {
      records.push({
        collection: "security_policies",
        key: partKey(base, index + 1),
        text: part.text,
        payload: {
          file,
          line: index === 0 ? section.line : (section.blocks[part.firstBlock]?.line ?? section.line),
          title: parts.length > 1 ? `${section.title} (part ${index + 1}/${parts.length})` : section.title,
          section: section.path,
          kind: "security-policy",
          ...section.fields,
          ...(parts.length > 1 ? { part: index + 1, parts: parts.length } : {}),
        },
      });
    });
  }
  return records;
}

// ---------------------------------------------------------------- Markdown

function fromMarkdown(file: string, text: string): PolicySection[] {
  const tokens = markdownParser().parse(text, {});
  const sections: PolicySection[] = [];
  const headingStack: { level: number; title: string }[] = [];
  let current: PolicySection = {
    id: "(preamble)",
    title: baseName(file),
    path: [],
    line: 1,
    blocks: [],
    fields: { format: "markdown" },
  };
  sections.push(current);
  let listDepth = 0;
  let row: string[] | null = null;
  let rowLine = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const line = (token.map?.[0] ?? 0) + 1;
    switch (token.type) {
      case "heading_open": {
        const level = Number(token.tag.slice(1));
        const title = inlineTokensToPlainText(tokens[i + 1]?.children ?? []) || `(untitled ${token.tag})`;
        while ((headingStack.at(-1)?.level ?? 0) >= level) headingStack.pop();
        headingStack.push({ level, title });
        const path = headingStack.map((h) => h.title);
        current = {
          id: path.join(" > "),
          title,
          path,
          line,
          blocks: [],
          fields: { format: "markdown", level },
        };
        sections.push(current);
        i += 2; // inline + heading_close
        break;
      }
      case "bullet_list_open":
      case "ordered_list_open":
        listDepth++;
        break;
      case "bullet_list_close":
      case "ordered_list_close":
        listDepth--;
        break;
      case "tr_open":
        row = [];
        rowLine = line;
        break;
      case "tr_close":
        if (row?.some(Boolean)) current.blocks.push({ text: row.join(" | "), line: rowLine });
        row = null;
        break;
      case "inline": {
        const plain = inlineTokensToPlainText(token.children ?? []);
        if (row) row.push(plain);
        else if (plain)
          current.blocks.push({
            text: listDepth > 0 ? `${"  ".repeat(listDepth - 1)}- ${plain}` : plain,
            line,
          });
        break;
      }
      case "fence":
      case "code_block": {
        const code = squash(token.content);
        if (code) current.blocks.push({ text: truncate(code, 600), line });
        break;
      }
      case "html_block": {
        const visible = squash(token.content.replace(/<[^>]*>/g, " "));
        if (visible) current.blocks.push({ text: visible, line });
        break;
      }
      default:
        break;
    }
  }
  return sections;
}

// ---------------------------------------------------------------- YAML

/** Fields that name a rule; they also key it, so they should be identifiers. */
const TITLE_FIELDS = ["name", "id", "title", "rule", "policy", "key"];
/** Fields that can title a rule that has no name (not used in keys: prose changes). */
const LABEL_FIELDS = [...TITLE_FIELDS, "description", "summary"];

/** A rule's identifier: a top-level name/id/… field, or Kubernetes-style `metadata.name`. */
function ruleName(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const named = TITLE_FIELDS.map((f) => value[f]).find((v) => typeof v === "string" || typeof v === "number");
  if (named !== undefined) return String(named);
  const metadata = value.metadata;
  if (isRecord(metadata) && typeof metadata.name === "string") {
    return typeof value.kind === "string" ? `${value.kind} ${metadata.name}` : metadata.name;
  }
  return undefined;
}

/** A readable title for a rule: its name, else its description or summary. */
function ruleLabel(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const name = ruleName(value);
  if (name !== undefined) return name;
  const prose = LABEL_FIELDS.map((f) => value[f]).find((v) => typeof v === "string" || typeof v === "number");
  return prose === undefined ? undefined : String(prose);
}

function fromYaml(file: string, text: string, warnings: SourceWarning[]): PolicySection[] {
  const read = readYaml(text);
  for (const e of read.errors)
    warnings.push(warning(file, e.line, "invalid-yaml", `${file}:${e.line}: invalid YAML (${e.message})`));
  if (read.errors.length > 0) return [];
  const root = read.value;
  const lines = read.lines;
  const sections: PolicySection[] = [];
  const entry = (path: string[], pointer: string, label: string, value: unknown): PolicySection => {
    const named = ruleLabel(value);
    const title = named !== undefined ? truncate(squash(named), 100) : label;
    return {
      id: label,
      title,
      path,
      line: lineOfPointer(lines, pointer),
      blocks: flatten(value, "").map((text) => ({ text, line: lineOfPointer(lines, pointer) })),
      fields: { format: "yaml", yamlPath: label },
    };
  };
  const items = (key: string | null, list: unknown[], basePointer: string) => {
    list.forEach((item, index) => {
      const pointer = `${basePointer}/${index}`;
      const named = ruleName(item);
      // Keys by name when the rule has one, so inserting a rule does not re-key the ones after it.
      const label =
        named !== undefined ? (key === null ? named : `${key}/${named}`) : `${key ?? ""}[${index}]`;
      const title = ruleLabel(item);
      const name = title === undefined ? `[${index}]` : truncate(squash(title), 100);
      sections.push(entry(key ? [key, name] : [name], pointer, label, item));
    });
  };
  if (Array.isArray(root)) {
    items(null, root, "");
  } else if (isRecord(root)) {
    const scalars: string[] = [];
    for (const [key, value] of Object.entries(root)) {
      const pointer = `/${pointerSegment(key)}`;
      if (Array.isArray(value) && value.some((v) => isRecord(v) || Array.isArray(v)))
        items(key, value, pointer);
      else if (isRecord(value) || Array.isArray(value)) sections.push(entry([key], pointer, key, value));
      else scalars.push(`${key}: ${describeValue(value, 300)}`);
    }
    // Top-level scalars (version, owner, name…) describe the policy as a whole: one record.
    if (scalars.length > 0) {
      sections.unshift({
        id: "(metadata)",
        title: baseName(file),
        path: [],
        line: 1,
        blocks: scalars.map((text) => ({ text, line: 1 })),
        fields: { format: "yaml", yamlPath: "" },
      });
    }
  } else if (root !== null && root !== undefined) {
    warnings.push(
      warning(
        file,
        1,
        "not-a-policy",
        `${file}: expected a YAML mapping or list of rules, got ${describeValue(root, 40)}`,
      ),
    );
  }
  return sections;
}

/** Readable `path: value` lines for a nested YAML value; scalar lists joined with commas. */
export function flatten(value: unknown, prefix: string, depth = 0): string[] {
  if (depth > 12) return [`${prefix || "value"}: …`];
  if (Array.isArray(value)) {
    if (value.every((v) => !isRecord(v) && !Array.isArray(v))) {
      const joined = value.map((v) => describeValue(v, 200)).join(", ");
      return [prefix ? `${prefix}: ${joined}` : joined];
    }
    return value.flatMap((v, i) => flatten(v, `${prefix}[${i}]`, depth + 1));
  }
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return prefix ? [`${prefix}: (empty)`] : [];
    return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k, depth + 1));
  }
  const text = describeValue(value, 400);
  return [prefix ? `${prefix}: ${text}` : text];
}

/** The security-policy extractor. */
export const securityPolicyExtractor = guardExtractor(
  "security-policy",
  [
    "**/SECURITY.md",
    "**/[Ss]ecurity.md",
    "**/*[Pp]olic*.{md,markdown,yml,yaml}",
    "**/*POLIC*.{md,markdown,yml,yaml}",
  ],
  extractPolicies,
);
