/**
 * Schemas → `schemas` collection: JSON Schema object definitions (`*.schema.json`), OpenAPI
 * 3.x / Swagger 2 operations and component schemas (JSON or YAML, detected by content), and
 * SQL `CREATE TABLE` statements. Pure, never throws: bad input becomes warnings.
 */
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
import { jsonErrorLine, jsonPointerLines, lineOfPointer, readYaml, toPointer } from "./positions.js";
import { parseSqlTables, type SqlTable } from "./sql.js";

/** One field of an object schema, as listed in the payload. */
export interface SchemaField {
  name: string;
  type: string;
  required: boolean;
  description?: string;
}

type SchemaFormat = "json-schema" | "openapi" | "swagger" | "sql";

interface Draft {
  /** Key suffix after `#schema:`. */
  id: string;
  line: number;
  title: string;
  section: string[];
  header: string;
  blocks: string[];
  fields: Record<string, unknown>;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

function extractSchemas(file: string, bytes: Uint8Array): ExtractResult {
  const { text, warnings } = decodeSource(file, bytes);
  if (!text) return { records: [], warnings };
  const ext = extensionOf(file);
  let drafts: Draft[] = [];
  if (ext === "sql") drafts = fromSql(file, text, warnings);
  else if (ext === "json" || ext === "yaml" || ext === "yml")
    drafts = fromStructured(file, text, ext, warnings);
  else warnings.push(warning(file, 1, "unknown-schema-format", `${file}: not a JSON, YAML or SQL file`));
  return { records: toRecords(file, drafts), warnings };
}

function toRecords(file: string, drafts: Draft[]): SourceRecord[] {
  const keys = new KeyAllocator();
  const records: SourceRecord[] = [];
  for (const draft of drafts) {
    const base = keys.take(`${file}#schema:${draft.id}`);
    const parts = packBlocks(draft.header, draft.blocks);
    parts.forEach((part, index) => {
      records.push({
        collection: "schemas",
        key: partKey(base, index + 1),
        text: part.text,
        payload: {
          file,
          line: draft.line,
          title: parts.length > 1 ? `${draft.title} (part ${index + 1}/${parts.length})` : draft.title,
          section: draft.section,
          kind: "schema",
          ...draft.fields,
          ...(parts.length > 1 ? { part: index + 1, parts: parts.length } : {}),
        },
      });
    });
  }
  return records;
}

// ---------------------------------------------------------------- JSON / YAML

function fromStructured(file: string, text: string, ext: string, warnings: SourceWarning[]): Draft[] {
  let value: unknown;
  let lines: Map<string, number>;
  if (ext === "json") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      warnings.push(
        warning(file, jsonErrorLine(text, message), "invalid-json", `${file}: invalid JSON (${message})`),
      );
      return [];
    }
    lines = jsonPointerLines(text);
  } else {
    const read = readYaml(text);
    for (const e of read.errors)
      warnings.push(warning(file, e.line, "invalid-yaml", `${file}:${e.line}: invalid YAML (${e.message})`));
    if (read.errors.length > 0) return [];
    value = read.value;
    lines = read.lines;
  }
  if (!isRecord(value)) {
    if (looksLikeSchemaFile(file)) {
      warnings.push(warning(file, 1, "not-a-schema", `${file}: expected a JSON object at the top level`));
    }
    return [];
  }
  if (typeof value.openapi === "string" || value.swagger !== undefined) {
    return fromOpenApi(file, value, lines, warnings);
  }
  if (
    /\.schema\.(json|ya?ml)$/i.test(file) ||
    (typeof value.$schema === "string" && /json-schema/.test(value.$schema))
  ) {
    return fromJsonSchema(file, value, lines);
  }
  if (/openapi|swagger/i.test(baseName(file))) {
    warnings.push(
      warning(
        file,
        1,
        "not-openapi",
        `${file}: named like an API description but has no "openapi" or "swagger" field`,
      ),
    );
  }
  return [];
}

function looksLikeSchemaFile(file: string): boolean {
  return /\.schema\.(json|ya?ml)$|openapi|swagger/i.test(baseName(file));
}

/** Short type of a schema: `string(email)`, `array<Pet>`, `Pet`, `enum(a|b)`, `A | B`. */
export function schemaType(schema: unknown, depth = 0): string {
  if (!isRecord(schema) || depth > 6) return schema === true ? "any" : "unknown";
  if (typeof schema.$ref === "string") return refName(schema.$ref);
  if (Array.isArray(schema.enum)) {
    return `enum(${truncate(schema.enum.map((v) => describeValue(v, 30)).join("|"), 80)})`;
  }
  if ("const" in schema) return `const ${describeValue(schema.const, 40)}`;
  for (const combiner of ["oneOf", "anyOf", "allOf"] as const) {
    const list = schema[combiner];
    if (Array.isArray(list) && list.length > 0) {
      return list.map((s) => schemaType(s, depth + 1)).join(combiner === "allOf" ? " & " : " | ");
    }
  }
  const types = Array.isArray(schema.type)
    ? schema.type.map(String)
    : schema.type
      ? [String(schema.type)]
      : [];
  const nullable = schema.nullable === true ? "|null" : "";
  const described = types.map((type) => {
    if (type === "array") return `array<${schemaType(schema.items, depth + 1)}>`;
    if (typeof schema.format === "string" && type !== "null") return `${type}(${schema.format})`;
    return type;
  });
  if (described.length > 0) return described.join("|") + nullable;
  if (isRecord(schema.properties)) return "object";
  if (schema.items !== undefined) return `array<${schemaType(schema.items, depth + 1)}>`;
  return "any";
}

/**
 * Type of a request or response body: inline objects (common in generated specs, e.g. an
 * envelope `{time, status, result: CollectionsResponse}`) list their fields, so the schema
 * names they carry are searchable.
 */
export function bodyType(schema: unknown): string {
  if (isRecord(schema) && schema.$ref === undefined && isRecord(schema.properties)) {
    const fields = Object.entries(schema.properties).map(([name, prop]) => `${name}: ${schemaType(prop)}`);
    return truncate(`object{${fields.join(", ")}}`, 160);
  }
  return schemaType(schema);
}

/** `#/components/schemas/Pet` → `Pet`; `other.json#/defs/X` → `X`; `other.json` → `other.json`. */
function refName(ref: string): string {
  const last = ref.split("/").pop() ?? ref;
  return decodeURIComponent(last.replace(/~1/g, "/").replace(/~0/g, "~")) || ref;
}

/** Fields of an object schema (properties, merged through `allOf`). */
function objectFields(schema: Record<string, unknown>, depth = 0): SchemaField[] {
  const fields: SchemaField[] = [];
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  if (isRecord(schema.properties)) {
    for (const [name, prop] of Object.entries(schema.properties)) {
      const description =
        isRecord(prop) && typeof prop.description === "string" ? squash(prop.description) : undefined;
      fields.push({
        name,
        type: schemaType(prop),
        required: required.has(name),
        ...(description ? { description } : {}),
      });
    }
  }
  if (Array.isArray(schema.allOf) && depth < 4) {
    for (const part of schema.allOf) {
      if (isRecord(part) && !part.$ref) fields.push(...objectFields(part, depth + 1));
    }
  }
  return fields;
}

function fieldLine(field: SchemaField): string {
  const flags = field.required ? ", required" : "";
  const description = field.description ? `: ${truncate(field.description, 160)}` : "";
  return `- ${field.name} (${field.type}${flags})${description}`;
}

function objectDraft(
  label: string,
  file: string,
  pointer: string,
  name: string,
  schema: Record<string, unknown>,
  lines: Map<string, number>,
  format: SchemaFormat,
  section: string[],
): Draft {
  const fields = objectFields(schema);
  const description = typeof schema.description === "string" ? squash(schema.description) : "";
  const schemaTitle =
    typeof schema.title === "string" && schema.title !== name ? ` "${squash(schema.title)}"` : "";
  const type = schemaType(schema);
  const header = [
    `${label} ${name}${schemaTitle} (${type}) in ${file}.`,
    description ? truncate(description, 400) : "",
    fields.length > 0 ? "Fields:" : "",
  ]
    .filter(Boolean)
    .join(" ");
  return {
    id: `#${pointer}`,
    line: lineOfPointer(lines, pointer),
    title: name,
    section,
    header,
    blocks: fields.map(fieldLine),
    fields: {
      name,
      format,
      pointer: `#${pointer}`,
      type,
      ...(description ? { description } : {}),
      properties: fields,
      required: fields.filter((f) => f.required).map((f) => f.name),
    },
  };
}

function fromJsonSchema(file: string, root: Record<string, unknown>, lines: Map<string, number>): Draft[] {
  const drafts: Draft[] = [];
  const rootName =
    (typeof root.title === "string" && squash(root.title)) ||
    baseName(file).replace(/\.schema\.(json|ya?ml)$/i, "");
  drafts.push(objectDraft("JSON schema", file, "", rootName, root, lines, "json-schema", ["root"]));
  const visitDefinitions = (schema: Record<string, unknown>, segments: string[], depth: number) => {
    if (depth > 4) return;
    for (const container of ["$defs", "definitions"]) {
      const defs = schema[container];
      if (!isRecord(defs)) continue;
      for (const [name, def] of Object.entries(defs)) {
        if (!isRecord(def)) continue;
        const path = [...segments, container, name];
        drafts.push(
          objectDraft("JSON schema definition", file, toPointer(path), name, def, lines, "json-schema", [
            container,
          ]),
        );
        visitDefinitions(def, path, depth + 1);
      }
    }
  };
  visitDefinitions(root, [], 0);
  return drafts;
}

function fromOpenApi(
  file: string,
  doc: Record<string, unknown>,
  lines: Map<string, number>,
  warnings: SourceWarning[],
): Draft[] {
  const swagger = doc.swagger !== undefined;
  const format: SchemaFormat = swagger ? "swagger" : "openapi";
  const version = String(swagger ? doc.swagger : doc.openapi);
  if (swagger ? !version.startsWith("2") : !version.startsWith("3")) {
    warnings.push(
      warning(
        file,
        1,
        "unsupported-openapi",
        `${file}: ${format} ${version} is not supported (OpenAPI 3.x or Swagger 2.0)`,
      ),
    );
    return [];
  }
  const info = isRecord(doc.info) ? doc.info : {};
  const apiTitle = typeof info.title === "string" ? squash(info.title) : baseName(file);
  const components = isRecord(doc.components) ? doc.components : {};
  const drafts: Draft[] = [];
  const resolve = (value: unknown): unknown => {
    // Local `$ref`s only, one hop: enough for shared parameters and request bodies.
    if (!isRecord(value) || typeof value.$ref !== "string" || !value.$ref.startsWith("#/")) return value;
    let node: unknown = doc;
    for (const segment of value.$ref.slice(2).split("/")) {
      const key = decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~");
      node = isRecord(node) ? node[key] : undefined;
    }
    return node ?? value;
  };
  const contentTypes = (content: unknown): string[] => {
    if (!isRecord(content)) return [];
    const names = new Set<string>();
    for (const media of Object.values(content)) {
      if (isRecord(media) && media.schema !== undefined) names.add(bodyType(media.schema));
    }
    return [...names];
  };

  const paths = isRecord(doc.paths) ? doc.paths : {};
  if (doc.paths !== undefined && !isRecord(doc.paths)) {
    warnings.push(
      warning(file, lineOfPointer(lines, "/paths"), "invalid-openapi", `${file}: "paths" must be an object`),
    );
  }
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = resolve(rawItem);
    if (!isRecord(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const pointer = toPointer(["paths", path, method]);
      const params: { name: string; in: string; type: string; required: boolean; description?: string }[] =
        [];
      let requestBody: string[] = [];
      const seen = new Set<string>();
      const opParams = Array.isArray(op.parameters) ? op.parameters : [];
      for (const raw of [...opParams, ...shared]) {
        const p = resolve(raw);
        if (!isRecord(p) || typeof p.name !== "string") continue;
        const where = String(p.in ?? "query");
        if (seen.has(`${where}:${p.name}`)) continue; // operation parameters override path-level ones
        seen.add(`${where}:${p.name}`);
        if (where === "body") {
          requestBody = [bodyType(p.schema)];
          continue;
        }
        const type = schemaType(p.schema ?? p);
        const description =
          typeof p.description === "string" ? truncate(squash(p.description), 120) : undefined;
        params.push({
          name: p.name,
          in: where,
          type,
          required: p.required === true,
          ...(description ? { description } : {}),
        });
      }
      const body = resolve(op.requestBody);
      if (isRecord(body)) requestBody = contentTypes(body.content);
      const responses: { status: string; schema: string[]; description?: string }[] = [];
      if (isRecord(op.responses)) {
        for (const [status, rawResponse] of Object.entries(op.responses)) {
          const response = resolve(rawResponse);
          if (!isRecord(response)) continue;
          const schema = swagger
            ? response.schema !== undefined
              ? [schemaType(response.schema)]
              : []
            : contentTypes(response.content);
          const description =
            typeof response.description === "string"
              ? truncate(squash(response.description), 100)
              : undefined;
          responses.push({ status, schema, ...(description ? { description } : {}) });
        }
      }
      const summary = typeof op.summary === "string" ? squash(op.summary) : "";
      const description = typeof op.description === "string" ? squash(op.description) : "";
      const tags = Array.isArray(op.tags) ? op.tags.map(String) : [];
      const operationId = typeof op.operationId === "string" ? op.operationId : undefined;
      const title = `${method.toUpperCase()} ${path}`;
      const header = [
        `API operation ${title}${operationId ? ` (${operationId})` : ""} of ${apiTitle}, in ${file}.`,
        summary,
        description && description !== summary ? truncate(description, 300) : "",
        tags.length ? `Tags: ${tags.join(", ")}.` : "",
        op.deprecated === true ? "Deprecated." : "",
      ]
        .filter(Boolean)
        .join(" ");
      const blocks = [
        ...params.map(
          (p) =>
            `- parameter ${p.name} (${p.in}, ${p.type}${p.required ? ", required" : ""})${p.description ? `: ${p.description}` : ""}`,
        ),
        ...(requestBody.length ? [`- request body: ${requestBody.join(", ")}`] : []),
        ...responses.map(
          (r) =>
            `- response ${r.status}${r.schema.length ? ` ${r.schema.join(", ")}` : ""}${r.description ? `: ${r.description}` : ""}`,
        ),
      ];
      drafts.push({
        id: title,
        line: lineOfPointer(lines, pointer),
        title,
        section: ["paths", path],
        header,
        blocks,
        fields: {
          name: title,
          format,
          pointer: `#${pointer}`,
          method: method.toUpperCase(),
          path,
          ...(operationId ? { operationId } : {}),
          ...(summary ? { summary } : {}),
          tags,
          parameters: params,
          requestBody,
          responses,
        },
      });
    }
  }
  const schemaSets: [string[], unknown][] = swagger
    ? [[["definitions"], doc.definitions]]
    : [[["components", "schemas"], components.schemas]];
  for (const [segments, set] of schemaSets) {
    if (!isRecord(set)) continue;
    for (const [name, schema] of Object.entries(set)) {
      if (!isRecord(schema)) continue;
      drafts.push(
        objectDraft(
          `API schema of ${apiTitle}:`,
          file,
          toPointer([...segments, name]),
          name,
          schema,
          lines,
          format,
          segments,
        ),
      );
    }
  }
  return drafts;
}

// ---------------------------------------------------------------- SQL

function fromSql(file: string, text: string, warnings: SourceWarning[]): Draft[] {
  const { tables, problems } = parseSqlTables(text);
  for (const p of problems) warnings.push(warning(file, p.line, p.code, `${file}:${p.line}: ${p.message}`));
  return tables.map((table) => sqlDraft(file, table));
}

function sqlDraft(file: string, table: SqlTable): Draft {
  const qualifiers = [table.temporary ? "temporary " : "", "SQL table"].join("");
  const header = [
    table.alteredOnly
      ? `${qualifiers} ${table.name} altered in ${file} (ALTER TABLE).`
      : `${qualifiers} ${table.name} in ${file}.`,
    table.comment ? truncate(squash(table.comment), 300) : "",
    table.derivedFrom ? `Created ${truncate(table.derivedFrom, 200)}.` : "",
    table.columns.length ? "Columns:" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const blocks = [
    ...table.columns.map((c) => {
      const flags = [
        c.primaryKey ? "primary key" : "",
        c.autoIncrement ? "auto-increment" : "",
        !c.nullable && !c.primaryKey ? "not null" : "",
        c.unique ? "unique" : "",
        c.references ? `references ${c.references}` : "",
        c.default ? `default ${truncate(squash(c.default), 60)}` : "",
      ].filter(Boolean);
      return `- ${c.name} ${c.type}${flags.length ? `, ${flags.join(", ")}` : ""}${c.comment ? `: ${truncate(squash(c.comment), 120)}` : ""}`;
    }),
    ...table.constraints.map((c) => `- ${/^constraint\b/i.test(c) ? "" : "constraint "}${truncate(c, 200)}`),
    ...table.alterations.map((a) => `- change ${truncate(a, 200)}`),
  ];
  return {
    id: table.name,
    line: table.line,
    title: table.name,
    section: ["tables"],
    header,
    blocks,
    fields: {
      name: table.name,
      format: "sql",
      columns: table.columns,
      constraints: table.constraints,
      ifNotExists: table.ifNotExists,
      ...(table.alteredOnly ? { alteredOnly: true } : {}),
      ...(table.alterations.length ? { alterations: table.alterations } : {}),
      ...(table.comment ? { description: table.comment } : {}),
      ...(table.derivedFrom ? { derivedFrom: table.derivedFrom } : {}),
    },
  };
}

/** The schema extractor. OpenAPI files are recognised by content, so API folders may be globbed whole. */
export const schemaExtractor = guardExtractor(
  "schema",
  [
    "**/*.schema.{json,yaml,yml}",
    "**/*openapi*.{json,yaml,yml}",
    "**/*swagger*.{json,yaml,yml}",
    "**/{api,apis,openapi,spec,specs}/**/*.{json,yaml,yml}",
    "**/*.sql",
  ],
  extractSchemas,
);
