/**
 * What makes a line a task, an id, or a progress declaration. One place for the patterns so
 * the parser and the linter agree.
 */
import type { TaskStatus } from "./types.js";

/** `[ ]`, `[x]`, `[X]`, `[✅]`, `[✔]` (emoji variation selector allowed) then a space or tab. */
const CHECKBOX = /^\[( |x|X|✅|✔)\uFE0F?\]([ \t])/u;

/** A line task: ☐ pending; ✅ ☑ ✔ done (a trailing U+FE0F is part of the symbol). */
const SYMBOL_TASK = /^[ \t]*(☐|✅|☑|✔)\uFE0F?/u;

export interface MarkerMatch {
  status: TaskStatus;
  /** Text after the marker. */
  rest: string;
}

/** A list item's first paragraph starting with a checkbox marker. */
export function matchCheckbox(paragraphSource: string): MarkerMatch | null {
  const match = CHECKBOX.exec(paragraphSource);
  if (!match) return null;
  return { status: match[1] === " " ? "pending" : "done", rest: paragraphSource.slice(match[0].length) };
}

/** A paragraph line starting (after spaces) with ☐, ✅, ☑ or ✔. */
export function matchSymbolTask(line: string): MarkerMatch | null {
  const match = SYMBOL_TASK.exec(line);
  if (!match) return null;
  return { status: match[1] === "☐" ? "pending" : "done", rest: line.slice(match[0].length) };
}

const BOLD_ID = /^\s*(\*\*|__)\s*(\d+(?:\.\d+)*)\.?\s*\1/u;
const BOLD_ID_WITH_TITLE = /^\s*(\*\*|__)\s*(\d+(?:\.\d+)+)\.?(?=\s)/u;
const PLAIN_ID = /^\s*(\d+(?:\.\d+)+)\.?(?=\s|$|[:)])/u;
const SEPARATOR = /^[\s:–—-]+/u;

/**
 * Split a leading id token off a task's source text: `**1.2.3**`, `**1.2.3 Title**`,
 * `1.2.3`, `1.2.3.`. A bare number without dots is an id only in bold (`**4**`), since
 * "2 files" is a title. Returns the remaining source (still markdown) and the id.
 */
export function splitLeadingId(source: string): { id: string | null; rest: string } {
  const bold = BOLD_ID.exec(source);
  if (bold) return { id: bold[2] ?? null, rest: source.slice(bold[0].length).replace(SEPARATOR, "") };
  const boldWithTitle = BOLD_ID_WITH_TITLE.exec(source);
  if (boldWithTitle) {
    // `**1.2.3 Title**`: keep the opening delimiter so the emphasis still closes.
    return {
      id: boldWithTitle[2] ?? null,
      rest: `${boldWithTitle[1]}${source.slice(boldWithTitle[0].length).trimStart()}`,
    };
  }
  const plain = PLAIN_ID.exec(source);
  if (plain) return { id: plain[1] ?? null, rest: source.slice(plain[0].length).replace(SEPARATOR, "") };
  return { id: null, rest: source };
}

/**
 * `Progression: 40%` in any case, French spacing (`Progression : 40 %`), `Progression globale`,
 * bold/italic/emoji around it. Returns the percent or null.
 */
const PROGRESS = /(?:^|[^\p{L}])progression(?:\s+globale)?\s*:\s*(\d{1,3}(?:[.,]\d+)?)\s*%/iu;

export function matchDeclaredProgress(line: string): number | null {
  // Cheap test first: this runs on every paragraph line of every plan.
  if (!/progression/i.test(line)) return null;
  const match = PROGRESS.exec(line.replace(/[*_`]/g, ""));
  if (!match?.[1]) return null;
  return Number.parseFloat(match[1].replace(",", "."));
}

/**
 * A source line that looks like a task to a regex (what a reader of the raw file would call
 * one): a list item with a checkbox, or a ☐/✅ line. Used to count what code blocks swallow.
 */
const TASK_LIKE = /^[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+\[(?: |x|X|✅|✔)\uFE0F?\][ \t]|(?:☐|✅|☑|✔))/u;

export function isTaskLikeLine(line: string): boolean {
  return TASK_LIKE.test(line);
}
