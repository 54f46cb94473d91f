import { createHash } from "node:crypto";
import { markdownLineToPlain } from "../../markdown/plain-line.js";
import { parsePlan } from "../../markdown/plan-parser.js";
import { phaseByTaskLine } from "../../markdown/progress.js";
import type { ParsedPlan, Section, Task } from "../../markdown/types.js";
import type { ExtractResult, SourceExtractor, SourceRecord, SourceWarning } from "../records.js";

/** Longest text of one `documents` record: at most about 230 word pieces of French prose or Markdown, under MiniLM's 256 window. */
export const DOCUMENT_CHUNK_CHARS = 600;

/**
 * What is embedded for a task. The evaluation (`npm run eval:search`) compared the title alone,
 * the title with its section path, and the title with section and parent: see docs/benchmarks.md.
 */
export type TaskTextMode = "title" | "title+section" | "title+section+parent";
export const DEFAULT_TASK_TEXT_MODE: TaskTextMode = "title+section+parent";

export interface PlanExtractorOptions {
  fences?: "strict" | "lenient";
  taskText?: TaskTextMode;
  /** Also make `documents` section chunks (default true). */
  documents?: boolean;
}

/** Markdown plans → one `roadmap_tasks` record per task and `documents` records per section chunk. */
export function planExtractor(options: PlanExtractorOptions = {}): SourceExtractor {
  return {
    kind: "plan",
    defaultGlobs: ["**/*.md"],
    extract: (file, bytes) =>
      extractPlan(file, parsePlan(bytes, { fences: options.fences ?? "strict" }), options),
  };
}

export function extractPlan(
  file: string,
  plan: ParsedPlan,
  options: PlanExtractorOptions = {},
): ExtractResult {
  const warnings: SourceWarning[] = plan.warnings
    .filter((warning) => warning.severity !== "info")
    .map((warning) => ({ file, line: warning.line, code: warning.code, message: warning.message }));
  const tasks = taskRecords(file, plan, options.taskText ?? DEFAULT_TASK_TEXT_MODE);
  return {
    records: options.documents === false ? tasks : [...tasks, ...documentRecords(file, plan)],
    warnings,
  };
}

function taskRecords(file: string, plan: ParsedPlan, mode: TaskTextMode): SourceRecord[] {
  const byLine = new Map(plan.tasks.map((task) => [task.line, task]));
  const phases = phaseByTaskLine(plan);
  const occurrences = new Map<string, number>();
  const records: SourceRecord[] = [];
  for (const task of plan.tasks) {
    // Keys survive edits elsewhere in the file: section path + title (+ occurrence), not the line.
    const identity = `${task.section.join(" > ")}\u0000${task.id ?? ""}\u0000${task.title}`;
    const occurrence = (occurrences.get(identity) ?? 0) + 1;
    occurrences.set(identity, occurrence);
    const parent = task.parentLine === null ? undefined : byLine.get(task.parentLine);
    const text = taskText(task, parent, mode);
    if (text.length === 0) continue;
    records.push({
      collection: "roadmap_tasks",
      key: `${file}#task:${shortHash(identity)}:${occurrence}`,
      text,
      payload: {
        file,
        line: task.line,
        title: task.title,
        section: task.section,
        section_text: task.section.join(" > "),
        kind: "plan",
        task_id: task.id,
        status: task.status,
        depth: task.depth,
        parent_line: task.parentLine,
        parent_title: parent?.title ?? null,
        phase: phases.get(task.line) ?? null,
      },
    });
  }
  return records;
}

function taskText(task: Task, parent: Task | undefined, mode: TaskTextMode): string {
  const title = task.title || (task.id ?? "");
  if (mode === "title" || title.length === 0) return title;
  const section = task.section.at(-1);
  let text = section ? `${title} — ${section}` : title;
  if (mode === "title+section+parent" && parent?.title) text += ` (${parent.title})`;
  return text;
}

/** Each section's own text (heading to the next heading), cut into chunks at line boundaries. */
function documentRecords(file: string, plan: ParsedPlan): SourceRecord[] {
  // Task lines are already records of their own in roadmap_tasks; documents keep the prose
  // around them (context, specs, decisions), which also halves what is embedded on the corpus.
  const taskLines = new Set(plan.tasks.map((task) => task.line));
  // What is embedded is the text a reader sees: markup would spend word pieces of the model's
  // window (14 % of the corpus chunks') without adding meaning. Line numbers stay the source's.
  const lines = plan.text
    .split(/\r\n|\r|\n/)
    .map((line, i) => (taskLines.has(i + 1) ? "" : markdownLineToPlain(line)));
  const starts = plan.sections.map((section) => section.line);
  const records: SourceRecord[] = [];
  const preambleEnd = (starts[0] ?? lines.length + 1) - 1;
  const spans: { section: Section | null; from: number; to: number }[] = [
    { section: null, from: 1, to: preambleEnd },
  ];
  plan.sections.forEach((section, i) => {
    spans.push({ section, from: section.line, to: (starts[i + 1] ?? lines.length + 1) - 1 });
  });
  const seen = new Map<string, number>();
  for (const span of spans) {
    const path = span.section?.path ?? [];
    const body = lines.slice(span.from - 1, span.to);
    let part = 0;
    for (const chunk of chunkLines(body, span.from)) {
      part++;
      const identity = path.join(" > ");
      const n = (seen.get(`${identity}#${part}`) ?? 0) + 1;
      seen.set(`${identity}#${part}`, n);
      const heading = path.length > 0 ? `${path.join(" > ")}\n` : "";
      records.push({
        collection: "documents",
        key: `${file}#doc:${shortHash(identity)}:${n}:${part}`,
        text: `${heading}${chunk.text}`.slice(0, DOCUMENT_CHUNK_CHARS + heading.length),
        payload: {
          file,
          line: chunk.line,
          title: path.at(-1) ?? file,
          section: path,
          section_text: path.join(" > "),
          kind: "plan",
          part,
        },
      });
    }
  }
  return records;
}

function* chunkLines(lines: string[], firstLine: number): Generator<{ line: number; text: string }> {
  let buffer: string[] = [];
  let size = 0;
  let start = firstLine;
  const flush = function* () {
    const text = buffer.join("\n").trim();
    if (/[\p{L}\p{N}]/u.test(text)) yield { line: start, text };
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (size + line.length > DOCUMENT_CHUNK_CHARS && buffer.length > 0) {
      yield* flush();
      buffer = [];
      size = 0;
      start = firstLine + i;
    }
    buffer.push(line.length > DOCUMENT_CHUNK_CHARS ? line.slice(0, DOCUMENT_CHUNK_CHARS) : line);
    size += Math.min(line.length, DOCUMENT_CHUNK_CHARS) + 1;
  }
  if (buffer.length > 0) yield* flush();
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
