import type Token from "markdown-it/lib/token.mjs";
import { parseBlocks } from "./chunked-parse.js";
import { decodePlanBytes } from "./decode.js";
import { inlineEngine, MAX_NESTING, markdownEngine } from "./engine.js";
import type { FenceMeta } from "./fence-rule.js";
import {
  isTaskLikeLine,
  type MarkerMatch,
  matchCheckbox,
  matchDeclaredProgress,
  matchSymbolTask,
  splitLeadingId,
} from "./markers.js";
import { findMojibake, repairMojibake } from "./mojibake.js";
import { linesStartingInsideRawSpans } from "./paragraph-fixes.js";
import { inlineTokensToPlainText } from "./plain-text.js";
import type {
  DeclaredProgress,
  FenceReport,
  ParsedPlan,
  ParseOptions,
  ParseWarning,
  Section,
  Task,
} from "./types.js";

/** Characters that can start inline markup (CommonMark §6) or an entity; without them text is literal. */
const INLINE_SYNTAX = /[\\`*_[\]!<>&~]| {2}\n/;

/** Mojibake hits reported one by one before they are summarised. */
const MOJIBAKE_REPORT_LIMIT = 20;

interface OpenListItem {
  line: number;
  /** The task this item is, if its first paragraph is a task. */
  task: Task | null;
}

/**
 * Parse a Markdown plan into tasks, sections, declared progress and warnings, exactly as a
 * CommonMark/GFM renderer shows it. Accepts raw bytes (decoded as described in decode.ts)
 * or an already-decoded string. Never throws: any input gives a result and warnings.
 */
export function parsePlan(input: Uint8Array | string, options: ParseOptions = {}): ParsedPlan {
  const decoded =
    typeof input === "string"
      ? { text: input.replace(/^\uFEFF/, ""), encoding: "utf-8" as const, warnings: [] as ParseWarning[] }
      : decodePlanBytes(input);
  const warnings: ParseWarning[] = [...decoded.warnings];
  let text = decoded.text;

  const mojibake = findMojibake(text, MOJIBAKE_REPORT_LIMIT + 1);
  if (mojibake.length > 0) {
    if (options.fixEncoding) {
      const repair = repairMojibake(text);
      text = repair.text;
      warnings.push({
        line: mojibake[0]?.line ?? 1,
        code: "mojibake-repaired",
        severity: "info",
        message: `repaired ${repair.repaired} double-encoded UTF-8 sequence(s) (e.g. "${mojibake[0]?.found}" → "${mojibake[0]?.meant}")`,
      });
    } else {
      for (const hit of mojibake.slice(0, MOJIBAKE_REPORT_LIMIT)) {
        warnings.push({
          line: hit.line,
          code: "mojibake",
          severity: "warning",
          message: `double-encoded UTF-8: "${hit.found}" is probably "${hit.meant}"; re-save the file as UTF-8 or parse with --fix-encoding`,
        });
      }
      if (mojibake.length > MOJIBAKE_REPORT_LIMIT) {
        warnings.push({
          line: mojibake[MOJIBAKE_REPORT_LIMIT]?.line ?? 1,
          code: "mojibake",
          severity: "warning",
          message: "more double-encoded sequences follow; run lint --json for the full count",
        });
      }
    }
  }

  const md = markdownEngine(options.fences ?? "strict");
  const env: Record<string, unknown> = {};
  const walk = new TokenWalk(env, text, warnings);
  try {
    for (const chunk of parseBlocks(md, text, env, options.chunkChars))
      walk.run(chunk.tokens, chunk.firstLine);
  } catch (error) {
    // markdown-it does not throw on any input we know of; if it ever does, degrade, do not fail.
    warnings.push({
      line: 1,
      code: "parser-failure",
      severity: "error",
      message: `the Markdown parser failed (${error instanceof Error ? error.message : String(error)}); tasks after this point are missing`,
    });
  }
  reportDuplicateIds(walk.tasks, warnings);
  warnings.sort((a, b) => a.line - b.line);

  return {
    tasks: walk.tasks,
    sections: walk.closeSections(),
    declaredProgress: walk.declaredProgress,
    warnings,
    fences: walk.fences,
    text,
    encoding: decoded.encoding,
    lineCount: countLines(text),
  };
}

class TokenWalk {
  readonly tasks: Task[] = [];
  readonly declaredProgress: DeclaredProgress[] = [];
  readonly fences: FenceReport[] = [];
  private readonly sections: Section[] = [];
  private readonly headingPath: { level: number; title: string }[] = [];
  private readonly listItems: OpenListItem[] = [];
  private readonly sourceLines: string[];
  private nestingWarned = false;
  private lineOffset = 0;
  private pathCache: string[] | null = null;

  constructor(
    private readonly env: Record<string, unknown>,
    text: string,
    private readonly warnings: ParseWarning[],
  ) {
    this.sourceLines = text.split(/\r\n|\r|\n/);
  }

  /** Walk one chunk's tokens; `firstLine` is the chunk's 0-based first source line. */
  run(tokens: Token[], firstLine: number): void {
    this.lineOffset = firstLine;
    let tableDepth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as Token;
      if (token.level >= MAX_NESTING - 1) this.warnNesting(token);
      switch (token.type) {
        case "heading_open": {
          const inline = tokens[i + 1];
          if (inline?.type === "inline") this.openHeading(token, inline);
          break;
        }
        case "list_item_open":
          this.listItems.push({ line: this.lineOf(token), task: null });
          break;
        case "list_item_close":
          this.listItems.pop();
          break;
        case "table_open":
          tableDepth++;
          break;
        case "table_close":
          tableDepth--;
          break;
        case "paragraph_open": {
          const inline = tokens[i + 1];
          if (tableDepth === 0 && inline?.type === "inline") {
            const firstInItem = tokens[i - 1]?.type === "list_item_open";
            this.readParagraph(token, inline, firstInItem);
          }
          break;
        }
        case "fence":
          this.recordFence(token);
          break;
        default:
          break;
      }
    }
  }

  closeSections(): Section[] {
    const lastLine = this.sourceLines.length;
    for (let i = 0; i < this.sections.length; i++) {
      const section = this.sections[i] as Section;
      let end = lastLine;
      for (let j = i + 1; j < this.sections.length; j++) {
        const next = this.sections[j] as Section;
        if (next.level <= section.level) {
          end = next.line - 1;
          break;
        }
      }
      section.endLine = end;
    }
    return this.sections;
  }

  private openHeading(open: Token, inline: Token): void {
    const level = Number(open.tag.slice(1));
    const title = this.plainText(inline.content);
    while (this.headingPath.length > 0 && (this.headingPath.at(-1)?.level ?? 0) >= level)
      this.headingPath.pop();
    this.headingPath.push({ level, title });
    this.pathCache = null;
    const line = this.lineOf(open);
    this.sections.push({ line, level, title, path: this.currentPath(), endLine: line });
    // A heading such as "## Phase 1 (Progression: 40%)" declares its own section's progress.
    this.recordDeclaredProgress(inline.content, line);
  }

  /** The heading path; one shared (frozen) array per section, since thousands of tasks hold it. */
  private currentPath(): string[] {
    if (!this.pathCache)
      this.pathCache = Object.freeze(this.headingPath.map((heading) => heading.title)) as string[];
    return this.pathCache;
  }

  private readParagraph(open: Token, inline: Token, firstInItem: boolean): void {
    const firstLine = this.lineOf(open);
    const lines = inline.content.split("\n");
    const hidden = linesStartingInsideRawSpans(inlineEngine(), inline.content, this.env);
    const isSymbolLine = (k: number) => !hidden.has(k) && matchSymbolTask(lines[k] ?? "") !== null;
    const item = firstInItem ? this.listItems.at(-1) : undefined;

    let symbolStart = 0;
    if (item) {
      const checkbox = matchCheckbox(inline.content);
      if (checkbox) {
        // The title runs up to the first continuation line that is a task of its own.
        let end = 1;
        while (end < lines.length && !isSymbolLine(end)) end++;
        const rest = checkbox.rest.split("\n").slice(0, end).join("\n");
        item.task = this.addTask(
          firstLine,
          { status: checkbox.status, rest },
          "checkbox",
          this.itemDepth(),
          this.enclosingTaskLine(1),
        );
        symbolStart = end;
      }
    }

    for (let k = 0; k < lines.length; k++) {
      const lineText = lines[k] ?? "";
      const line = firstLine + k;
      this.recordDeclaredProgress(lineText, line);
      if (k < symbolStart || hidden.has(k)) continue;
      const symbol = matchSymbolTask(lineText);
      if (!symbol) continue;
      if (item && k === 0) {
        item.task = this.addTask(line, symbol, "symbol", this.itemDepth(), this.enclosingTaskLine(1));
      } else {
        // A ☐ line that is not its item's first line sits inside the item: one level deeper,
        // child of the item's checkbox task (a ☐ first line is a sibling, not a parent).
        const ownItem = this.listItems.at(-1);
        const ownTask =
          ownItem?.task && !(firstInItem && ownItem.task.marker === "symbol") ? ownItem.task : null;
        const depth = ownTask
          ? this.itemDepth() + 1
          : Math.max(0, this.listItems.length - (firstInItem ? 1 : 0));
        const parent = ownTask ? ownTask.line : this.enclosingTaskLine(firstInItem ? 1 : 0);
        this.addTask(line, symbol, "symbol", depth, parent);
      }
    }
  }

  private addTask(
    line: number,
    match: MarkerMatch,
    marker: Task["marker"],
    depth: number,
    parentLine: number | null,
  ): Task {
    const { id, rest } = splitLeadingId(match.rest);
    const title = this.plainText(rest);
    const task: Task = {
      line,
      status: match.status,
      id,
      title,
      depth,
      parentLine,
      section: this.currentPath(),
      marker,
    };
    this.tasks.push(task);
    return task;
  }

  private lineOf(token: Token): number {
    return (token.map?.[0] ?? 0) + 1 + this.lineOffset;
  }

  private plainText(markdown: string): string {
    // Most titles have no inline syntax at all; skip the inline parser for them.
    if (!INLINE_SYNTAX.test(markdown)) return markdown.replace(/\s+/g, " ").trim();
    return inlineTokensToPlainText(inlineEngine().parseInline(markdown, this.env)[0]?.children ?? []);
  }

  /** Depth of the innermost open list item: 0 at the top level. */
  private itemDepth(): number {
    return Math.max(0, this.listItems.length - 1);
  }

  /** Line of the nearest task among open list items, skipping the innermost `skip` of them. */
  private enclosingTaskLine(skip: number): number | null {
    for (let i = this.listItems.length - 1 - skip; i >= 0; i--) {
      const task = this.listItems[i]?.task;
      if (task) return task.line;
    }
    return null;
  }

  private recordDeclaredProgress(lineText: string, line: number): void {
    const percent = matchDeclaredProgress(lineText);
    if (percent === null) return;
    if (percent > 100) {
      this.warnings.push({
        line,
        code: "progress-out-of-range",
        severity: "warning",
        message: `declared progress ${percent}% is over 100%`,
      });
    }
    this.declaredProgress.push({ line, section: this.currentPath(), percent });
  }

  private recordFence(token: Token): void {
    const meta = token.meta as FenceMeta | null;
    const start = (token.map?.[0] ?? 0) + this.lineOffset;
    const end = (token.map?.[1] ?? 0) + this.lineOffset;
    const taskLikeLines: number[] = [];
    for (let l = start + 1; l < end; l++) {
      if (l === (meta?.closerLine ?? -1) + this.lineOffset) continue;
      if (isTaskLikeLine(this.sourceLines[l] ?? "")) taskLikeLines.push(l + 1);
    }
    const report: FenceReport = {
      line: start + 1,
      closedAtLine: meta?.closerLine == null ? null : meta.closerLine + 1 + this.lineOffset,
      info: token.info.trim(),
      suspiciousCloserLines: (meta?.suspiciousCloserLines ?? []).map((l) => l + 1 + this.lineOffset),
      taskLikeLines,
    };
    this.fences.push(report);
    this.warnAboutFence(report, end);
  }

  private warnAboutFence(fence: FenceReport, endLine: number): void {
    const firstSuspicious = fence.suspiciousCloserLines[0];
    const swallowed = fence.taskLikeLines.length;
    if (firstSuspicious !== undefined && fence.closedAtLine !== firstSuspicious) {
      this.warnings.push({
        line: firstSuspicious,
        code: "broken-fence",
        severity: "warning",
        message:
          `fence line "${(this.sourceLines[firstSuspicious - 1] ?? "").trim()}" inside the code block opened at line ${fence.line} ` +
          `carries an info string, so CommonMark does not close the block there; the block runs to line ${endLine}` +
          (swallowed > 0 ? ` and swallows ${swallowed} task-like line(s)` : "") +
          ". Use a bare fence to close it (or --fences lenient).",
      });
    } else if (fence.closedAtLine === null && endLine >= this.sourceLines.length) {
      this.warnings.push({
        line: fence.line,
        code: "unclosed-fence",
        severity: "warning",
        message:
          `code block opened at line ${fence.line} is never closed and runs to the end of the file` +
          (swallowed > 0 ? `, swallowing ${swallowed} task-like line(s)` : ""),
      });
    } else if (swallowed > 0) {
      this.warnings.push({
        line: fence.line,
        code: "task-in-code",
        severity: "info",
        message: `code block at line ${fence.line} contains ${swallowed} task-like line(s); they are code, not tasks`,
      });
    }
  }

  private warnNesting(token: Token): void {
    if (this.nestingWarned) return;
    this.nestingWarned = true;
    this.warnings.push({
      line: this.lineOf(token),
      code: "nesting-limit",
      severity: "warning",
      message: `containers nested deeper than ${MAX_NESTING} levels; content below that depth is not parsed`,
    });
  }
}

function reportDuplicateIds(tasks: Task[], warnings: ParseWarning[]): void {
  const firstLineById = new Map<string, number>();
  for (const task of tasks) {
    if (task.id === null) continue;
    const first = firstLineById.get(task.id);
    if (first === undefined) firstLineById.set(task.id, task.line);
    else
      warnings.push({
        line: task.line,
        code: "duplicate-id",
        severity: "warning",
        message: `task id ${task.id} already used at line ${first}`,
      });
  }
}

function countLines(text: string): number {
  if (text.length === 0) return 0;
  const newlines = text.match(/\r\n|\r|\n/g)?.length ?? 0;
  return /(\r\n|\r|\n)$/.test(text) ? newlines : newlines + 1;
}
