/**
 * `CREATE TABLE` statements of SQL files, any common dialect (PostgreSQL, MySQL, SQLite,
 * SQL Server). A tolerant scanner rather than a SQL grammar: dialect parsers (e.g.
 * node-sql-parser) reject whole files over one construct they do not know, while we only
 * need table names, columns, types and constraints, and must report bad input by line.
 */

export interface SqlColumn {
  name: string;
  type: string;
  nullable: boolean;
  primaryKey: boolean;
  unique: boolean;
  /** AUTO_INCREMENT, AUTOINCREMENT, IDENTITY, GENERATED … AS IDENTITY, or a serial type. */
  autoIncrement: boolean;
  references?: string;
  default?: string;
  comment?: string;
  line: number;
}

export interface SqlTable {
  /** Name as written, quotes removed, schema-qualified when it was (`public.users`). */
  name: string;
  line: number;
  ifNotExists: boolean;
  temporary: boolean;
  columns: SqlColumn[];
  /** Table constraints as written (`PRIMARY KEY (a, b)`, `FOREIGN KEY …`). */
  constraints: string[];
  /** `ALTER TABLE` actions other than added columns (`DROP COLUMN legacy`, `RENAME TO …`). */
  alterations: string[];
  /** True when this file only alters the table (a migration): it is created elsewhere. */
  alteredOnly: boolean;
  /** `AS SELECT …`, `LIKE other`, or `USING fts5(...)` when the table is not declared by columns. */
  derivedFrom?: string;
  comment?: string;
}

export interface SqlProblem {
  line: number;
  code: string;
  message: string;
}

type TokenType = "word" | "ident" | "string" | "number" | "punct" | "comment";

interface Token {
  type: TokenType;
  value: string;
  line: number;
  endLine: number;
}

/** Split SQL into tokens, tracking lines; unterminated strings/comments become problems. */
export function tokenizeSql(text: string, problems: SqlProblem[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const push = (type: TokenType, value: string, startLine: number) =>
    tokens.push({ type, value, line: startLine, endLine: line });
  const advanceTo = (end: number) => {
    for (let k = i; k < end && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
    i = end;
  };
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    const startLine = line;
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      push("comment", text.slice(i + 2, stop).trim(), startLine);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1)
        problems.push({ line, code: "unterminated-comment", message: "/* comment is never closed" });
      const stop = end === -1 ? text.length : end + 2;
      const body = text.slice(i + 2, end === -1 ? text.length : end);
      advanceTo(stop);
      push("comment", body.trim(), startLine);
    } else if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      let value = "";
      for (;;) {
        if (j >= text.length) {
          problems.push({
            line: startLine,
            code: "unterminated-string",
            message: `${c} quote is never closed`,
          });
          break;
        }
        const ch = text[j] as string;
        if (ch === c) {
          if (text[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        if (ch === "\\" && c === "'" && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        value += ch;
        j++;
      }
      advanceTo(Math.min(j + 1, text.length));
      push(c === "'" ? "string" : "ident", value, startLine);
    } else if (c === "[" && /^\[[^\]\n\d][^\]\n]*\]/.test(text.slice(i, i + 130))) {
      const end = text.indexOf("]", i);
      push("ident", text.slice(i + 1, end), startLine);
      i = end + 1;
    } else if (c === "$" && /^\$[A-Za-z_]*\$/.test(text.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64))?.[0] ?? "$$";
      const end = text.indexOf(tag, i + tag.length);
      if (end === -1)
        problems.push({ line, code: "unterminated-string", message: `${tag} string is never closed` });
      const stop = end === -1 ? text.length : end + tag.length;
      const body = text.slice(i + tag.length, end === -1 ? text.length : end);
      advanceTo(stop);
      push("string", body, startLine);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const match = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/.exec(text.slice(i, i + 256));
      const word = match?.[0] ?? c;
      push("word", word, startLine);
      i += word.length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9][0-9.eE]*/.exec(text.slice(i, i + 64));
      const number = match?.[0] ?? c;
      push("number", number, startLine);
      i += number.length;
    } else {
      // Multi-character operators stay one token so they render as written (`>=`, `::`).
      const operator = /^(>=|<=|<>|!=|::|\|\|)/.exec(text.slice(i, i + 2))?.[0] ?? c;
      push("punct", operator, startLine);
      i += operator.length;
    }
  }
  return tokens;
}

const TABLE_CONSTRAINT_START = new Set([
  "CONSTRAINT",
  "PRIMARY",
  "FOREIGN",
  "UNIQUE",
  "CHECK",
  "KEY",
  "INDEX",
  "EXCLUDE",
  "LIKE",
  "FULLTEXT",
  "SPATIAL",
  "PERIOD",
]);

const COLUMN_CONSTRAINT_START = new Set([
  "NOT",
  "NULL",
  "DEFAULT",
  "PRIMARY",
  "REFERENCES",
  "UNIQUE",
  "CHECK",
  "COLLATE",
  "GENERATED",
  "CONSTRAINT",
  "AUTO_INCREMENT",
  "AUTOINCREMENT",
  "IDENTITY",
  "COMMENT",
  "ON",
  "AS",
  "CHARACTER",
  "CHARSET",
]);

const isWord = (t: Token | undefined, ...words: string[]) =>
  t?.type === "word" && words.includes(t.value.toUpperCase());

/** Render tokens back to readable SQL (`varchar(255)`, `numeric(10, 2)`, `int[]`). */
function render(tokens: readonly Token[]): string {
  let out = "";
  let prev: Token | undefined;
  for (const t of tokens) {
    if (t.type === "comment") continue;
    const value = t.type === "string" ? `'${t.value}'` : t.type === "ident" ? t.value : t.value;
    const tight =
      !prev ||
      (t.type === "punct" && /[()[\],.:]/.test(t.value) && t.value !== "(") ||
      (t.value === "(" && prev.type !== "punct") ||
      (prev.type === "punct" && /[([.:]/.test(prev.value));
    out += (tight ? "" : " ") + value;
    if (t.value === ",") out += " ";
    prev = t;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

function nameOf(t: Token | undefined): string | undefined {
  return t && (t.type === "word" || t.type === "ident") ? t.value : undefined;
}

/** Read `a`, `a.b`, `"a"."b"` starting at `index`; returns the name and the index after it. */
function readQualifiedName(tokens: Token[], index: number): { name: string; next: number } | undefined {
  const first = nameOf(tokens[index]);
  if (first === undefined) return undefined;
  const parts = [first];
  let i = index + 1;
  while (tokens[i]?.value === "." && tokens[i]?.type === "punct" && nameOf(tokens[i + 1]) !== undefined) {
    parts.push(nameOf(tokens[i + 1]) as string);
    i += 2;
  }
  return { name: parts.join("."), next: i };
}

/** Find every `CREATE TABLE` (and `COMMENT ON TABLE/COLUMN`) in SQL text. */
export function parseSqlTables(text: string): { tables: SqlTable[]; problems: SqlProblem[] } {
  const problems: SqlProblem[] = [];
  const all = tokenizeSql(text, problems);
  const tokens = all.filter((t) => t.type !== "comment");
  const comments = all.filter((t) => t.type === "comment");
  const commentByLine = new Map<number, string>();
  for (const c of comments)
    if (c.line === c.endLine && !commentByLine.has(c.line)) commentByLine.set(c.line, c.value);
  const tables: SqlTable[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (isWord(tokens[i], "ALTER") && isWord(tokens[i + 1], "TABLE")) {
      i = readAlter(tokens, i, tables, commentByLine);
      continue;
    }
    if (!isWord(tokens[i], "CREATE")) continue;
    const start = tokens[i] as Token;
    let j = i + 1;
    let temporary = false;
    while (
      isWord(
        tokens[j],
        "OR",
        "REPLACE",
        "GLOBAL",
        "LOCAL",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "VIRTUAL",
        "EXTERNAL",
      )
    ) {
      if (isWord(tokens[j], "TEMP", "TEMPORARY")) temporary = true;
      j++;
    }
    if (!isWord(tokens[j], "TABLE")) continue;
    j++;
    let ifNotExists = false;
    if (isWord(tokens[j], "IF") && isWord(tokens[j + 1], "NOT") && isWord(tokens[j + 2], "EXISTS")) {
      ifNotExists = true;
      j += 3;
    }
    const qualified = readQualifiedName(tokens, j);
    if (!qualified) {
      problems.push({
        line: start.line,
        code: "invalid-create-table",
        message: "CREATE TABLE without a table name",
      });
      continue;
    }
    j = qualified.next;
    const table: SqlTable = {
      name: qualified.name,
      line: start.line,
      ifNotExists,
      temporary,
      columns: [],
      constraints: [],
      alterations: [],
      alteredOnly: false,
    };
    const leading = leadingComment(comments, start.line);
    if (leading) table.comment = leading;
    if (tokens[j]?.value === "(" && tokens[j]?.type === "punct") {
      const end = readColumns(tokens, j, table, commentByLine);
      if (end === -1) {
        problems.push({
          line: start.line,
          code: "unterminated-create-table",
          message: `CREATE TABLE ${table.name}: the column list is never closed with ")"`,
        });
        tables.push(table);
        break;
      }
      i = end;
      // MySQL table options after the column list: `… ) ENGINE=InnoDB COMMENT='…';`
      for (
        let k = end + 1;
        k < tokens.length && tokens[k]?.value !== ";" && !isWord(tokens[k], "CREATE");
        k++
      ) {
        if (!isWord(tokens[k], "COMMENT")) continue;
        const value = tokens[k + 1]?.value === "=" ? tokens[k + 2] : tokens[k + 1];
        if (value?.type === "string") table.comment = value.value;
      }
    } else if (isWord(tokens[j], "AS", "LIKE", "USING", "CLONE")) {
      let k = j;
      while (k < tokens.length && tokens[k]?.value !== ";") k++;
      table.derivedFrom = render(tokens.slice(j, Math.min(k, j + 40)));
      i = k;
    } else {
      problems.push({
        line: tokens[j]?.line ?? start.line,
        code: "invalid-create-table",
        message: `CREATE TABLE ${table.name}: expected "(" with the columns, found ${tokens[j] ? `"${tokens[j]?.value}"` : "the end of the file"}`,
      });
      continue;
    }
    tables.push(table);
  }
  applyCommentOn(tokens, tables);
  return { tables, problems };
}

/**
 * `ALTER TABLE t ADD [COLUMN] c type …, DROP COLUMN x, …;` — added columns join the table
 * (created earlier in the file, or a table record for this migration file); other actions are
 * kept as text. Returns the index of the statement's last token.
 */
function readAlter(
  tokens: Token[],
  start: number,
  tables: SqlTable[],
  comments: Map<number, string>,
): number {
  let j = start + 2;
  if (isWord(tokens[j], "IF") && isWord(tokens[j + 1], "EXISTS")) j += 2;
  if (isWord(tokens[j], "ONLY")) j++;
  const qualified = readQualifiedName(tokens, j);
  if (!qualified) return start + 1;
  j = qualified.next;
  let table = tables.findLast((t) => t.name === qualified.name);
  if (!table) {
    table = {
      name: qualified.name,
      line: (tokens[start] as Token).line,
      ifNotExists: false,
      temporary: false,
      columns: [],
      constraints: [],
      alterations: [],
      alteredOnly: true,
    };
    tables.push(table);
  }
  let action: Token[] = [];
  let depth = 0;
  const finish = () => {
    if (action.length > 0) applyAlterAction(action, table, comments);
    action = [];
  };
  for (; j < tokens.length; j++) {
    const t = tokens[j] as Token;
    if (t.type === "punct" && t.value === ";" && depth === 0) break;
    if (depth === 0 && isWord(t, "CREATE", "ALTER")) {
      j--; // a missing `;`: the next statement starts here
      break;
    }
    if (t.value === "(") depth++;
    if (t.value === ")") depth = Math.max(0, depth - 1);
    if (t.type === "punct" && t.value === "," && depth === 0) {
      finish();
      continue;
    }
    action.push(t);
  }
  finish();
  return j;
}

function applyAlterAction(action: Token[], table: SqlTable, comments: Map<number, string>): void {
  if (!isWord(action[0], "ADD")) {
    table.alterations.push(render(action));
    return;
  }
  let k = 1;
  if (isWord(action[k], "COLUMN")) k++;
  if (isWord(action[k], "IF") && isWord(action[k + 1], "NOT") && isWord(action[k + 2], "EXISTS")) k += 3;
  const element = action.slice(k);
  if (element.length > 0) addElement(element, table, comments);
}

/** The `--` comment lines right above a statement, joined. */
function leadingComment(comments: Token[], line: number): string | undefined {
  const lines: string[] = [];
  let expect = line - 1;
  for (let k = comments.length - 1; k >= 0; k--) {
    const c = comments[k] as Token;
    if (c.line > expect) continue;
    if (c.endLine !== expect) break;
    lines.unshift(c.value);
    expect = c.line - 1;
  }
  const text = lines.join(" ").replace(/\s+/g, " ").trim();
  return text && !/^[-=*#\s]+$/.test(text) ? text : undefined;
}

/** Parse `( … )` after the table name into columns and constraints; returns the index of `)` or -1. */
function readColumns(tokens: Token[], open: number, table: SqlTable, comments: Map<number, string>): number {
  let depth = 0;
  let element: Token[] = [];
  const finish = () => {
    if (element.length > 0) addElement(element, table, comments);
    element = [];
  };
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (t.type === "punct" && t.value === "(") {
      depth++;
      if (depth === 1) continue;
    } else if (t.type === "punct" && t.value === ")") {
      depth--;
      if (depth === 0) {
        finish();
        return k;
      }
    } else if (t.type === "punct" && t.value === "," && depth === 1) {
      finish();
      continue;
    } else if (t.type === "punct" && t.value === ";" && depth >= 1) {
      finish();
      return -1;
    }
    element.push(t);
  }
  finish();
  return -1;
}

const COMMON_TYPES = new Set(
  "int integer bigint smallint tinyint mediumint text varchar char character nchar nvarchar numeric decimal real float double boolean bool bit date time timestamp timestamptz datetime interval blob clob json jsonb uuid serial bigserial smallserial bytea money inet enum set".split(
    " ",
  ),
);

/**
 * Whether a column-list element is a table constraint. `KEY`/`INDEX` open MySQL index
 * definitions but are also plausible column names (`key text primary key`): an index has
 * `(` right after, or after a name that is not a type.
 */
function isTableConstraint(element: Token[]): boolean {
  const word = (element[0] as Token).value.toUpperCase();
  if (!TABLE_CONSTRAINT_START.has(word)) return false;
  if (word !== "KEY" && word !== "INDEX") return true;
  const second = element[1];
  if (!second) return false;
  if (second.value === "(" || isWord(second, "USING")) return true;
  return element[2]?.value === "(" && !COMMON_TYPES.has(second.value.toLowerCase());
}

function addElement(element: Token[], table: SqlTable, comments: Map<number, string>): void {
  const first = element[0] as Token;
  if (first.type === "word" && isTableConstraint(element)) {
    table.constraints.push(render(element));
    return;
  }
  const name = nameOf(first);
  if (name === undefined) {
    table.constraints.push(render(element));
    return;
  }
  let k = 1;
  const typeTokens: Token[] = [];
  let depth = 0;
  for (; k < element.length; k++) {
    const t = element[k] as Token;
    if (depth === 0 && t.type === "word" && COLUMN_CONSTRAINT_START.has(t.value.toUpperCase())) {
      // `character varying` and `double precision` are types, not the CHARACTER SET option.
      if (!(t.value.toUpperCase() === "CHARACTER" && typeTokens.length === 0)) break;
    }
    if (t.value === "(") depth++;
    if (t.value === ")") depth--;
    typeTokens.push(t);
  }
  const rest = element.slice(k);
  const upper = rest.map((t) => (t.type === "word" ? t.value.toUpperCase() : t.value));
  const column: SqlColumn = {
    name,
    type: render(typeTokens) || "(no type)",
    nullable: true,
    primaryKey: false,
    unique: false,
    autoIncrement: /serial$/i.test(render(typeTokens)),
    line: first.line,
  };
  for (let r = 0; r < rest.length; r++) {
    const word = upper[r];
    if (word === "NOT" && upper[r + 1] === "NULL") column.nullable = false;
    else if (word === "PRIMARY" && upper[r + 1] === "KEY") {
      column.primaryKey = true;
      column.nullable = false;
    } else if (word === "UNIQUE") column.unique = true;
    else if (word === "AUTO_INCREMENT" || word === "AUTOINCREMENT" || word === "IDENTITY")
      column.autoIncrement = true;
    else if (word === "REFERENCES") {
      const target = readQualifiedName(rest, r + 1);
      if (target) {
        let ref = target.name;
        if (rest[target.next]?.value === "(") {
          const close = rest.findIndex((t, idx) => idx > target.next && t.value === ")");
          if (close !== -1) ref += `(${render(rest.slice(target.next + 1, close))})`;
        }
        column.references = ref;
      }
    } else if (word === "DEFAULT") {
      const valueTokens: Token[] = [];
      let d = 0;
      for (let v = r + 1; v < rest.length; v++) {
        const t = rest[v] as Token;
        if (
          d === 0 &&
          t.type === "word" &&
          COLUMN_CONSTRAINT_START.has(t.value.toUpperCase()) &&
          valueTokens.length > 0
        )
          break;
        if (t.value === "(") d++;
        if (t.value === ")") d--;
        valueTokens.push(t);
      }
      column.default = render(valueTokens);
    } else if (word === "COMMENT" && rest[r + 1]?.type === "string") {
      column.comment = rest[r + 1]?.value;
    }
  }
  if (!column.comment) {
    const last = element.at(-1) as Token;
    const trailing = comments.get(last.endLine);
    if (trailing) column.comment = trailing;
  }
  table.columns.push(column);
}

/** `COMMENT ON TABLE t IS '…'` / `COMMENT ON COLUMN t.c IS '…'` (PostgreSQL, Oracle). */
function applyCommentOn(tokens: Token[], tables: SqlTable[]): void {
  for (let i = 0; i < tokens.length; i++) {
    if (!(isWord(tokens[i], "COMMENT") && isWord(tokens[i + 1], "ON"))) continue;
    const target = isWord(tokens[i + 2], "TABLE")
      ? "table"
      : isWord(tokens[i + 2], "COLUMN")
        ? "column"
        : null;
    if (!target) continue;
    const name = readQualifiedName(tokens, i + 3);
    if (!name || !isWord(tokens[name.next], "IS") || tokens[name.next + 1]?.type !== "string") continue;
    const text = tokens[name.next + 1]?.value ?? "";
    if (target === "table") {
      const table = tables.find((t) => t.name === name.name || t.name.endsWith(`.${name.name}`));
      if (table) table.comment = text;
    } else {
      const dot = name.name.lastIndexOf(".");
      const tableName = name.name.slice(0, dot);
      const columnName = name.name.slice(dot + 1);
      const table = tables.find((t) => t.name === tableName || t.name.endsWith(`.${tableName}`));
      const column = table?.columns.find((c) => c.name === columnName);
      if (column) column.comment = text;
    }
  }
}
