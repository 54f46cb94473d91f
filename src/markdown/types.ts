/** What the plan parser produces. Line numbers are 1-based lines of the source file. */

export type TaskStatus = "done" | "pending";

/** How a task was written: a GFM checkbox list item or a line starting with ☐/✅/☑/✔. */
export type TaskMarker = "checkbox" | "symbol";

export interface Task {
  line: number;
  status: TaskStatus;
  /** A leading `1.2.3`-style identifier, without decoration; null when absent. */
  id: string | null;
  /** Plain text as rendered: inline markdown and the id removed. */
  title: string;
  /** List nesting: 0 for a task in a top-level list item (or outside any list). */
  depth: number;
  /** Line of the nearest enclosing task, or null. */
  parentLine: number | null;
  /** Heading path at the task, outermost first. */
  section: string[];
  marker: TaskMarker;
}

export interface Section {
  line: number;
  /** Heading level, 1-6. */
  level: number;
  title: string;
  /** Heading path including this heading. */
  path: string[];
  /** Last line of the section's content (before the next heading of the same or a higher level). */
  endLine: number;
}

export interface DeclaredProgress {
  line: number;
  section: string[];
  percent: number;
}

export type WarningSeverity = "error" | "warning" | "info";

export interface ParseWarning {
  line: number;
  code: WarningCode;
  message: string;
  severity: WarningSeverity;
}

export type WarningCode =
  | "binary-file"
  | "utf16"
  | "invalid-utf8"
  | "mojibake"
  | "mojibake-repaired"
  | "unclosed-fence"
  | "broken-fence"
  | "task-in-code"
  | "nesting-limit"
  | "parser-failure"
  | "duplicate-id"
  | "progress-out-of-range";

export interface FenceReport {
  /** Line of the opening fence. */
  line: number;
  /** Line of the closing fence, or null when the block runs to the end of its container. */
  closedAtLine: number | null;
  info: string;
  /** Lines inside the block that look like fences with an info string (likely meant as closers). */
  suspiciousCloserLines: number[];
  /** Lines inside the block that look like tasks (checkbox items or ☐/✅ lines). */
  taskLikeLines: number[];
}

export type FenceMode = "strict" | "lenient";

export interface ParseOptions {
  /** `strict` follows CommonMark (what GitHub shows); `lenient` lets `` ```lang `` close an open fence. */
  fences?: FenceMode;
  /** Repair double-encoded UTF-8 (mojibake) instead of only reporting it. */
  fixEncoding?: boolean;
  /** Files longer than this many characters are parsed in chunks (see chunked-parse.ts). */
  chunkChars?: number;
}

export interface ParsedPlan {
  tasks: Task[];
  sections: Section[];
  declaredProgress: DeclaredProgress[];
  warnings: ParseWarning[];
  fences: FenceReport[];
  /** The text that was parsed (decoded, BOM stripped, repaired if asked). */
  text: string;
  encoding: string;
  lineCount: number;
}
