#!/usr/bin/env node
// Extract the subset of Qdrant's official OpenAPI spec (v1.19.0, Apache-2.0) that
// `planvec serve-qdrant` implements: the implemented operations and every component schema
// they reach. The result ships with the server (request validation), drives the response
// checks of the tests and restricts schemathesis to what we serve.
//
// Usage: node scripts/qdrant-compat/extract-spec.mjs [../shared/qdrant/openapi-v1.19.0.json]
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? join(here, "../../../shared/qdrant/openapi-v1.19.0.json");
const target = join(here, "../../src/server/qdrant-compat/openapi-subset.json");

/** operationIds served by src/server/qdrant-compat (keep in sync with routes). */
export const IMPLEMENTED = [
  "root",
  "healthz",
  "livez",
  "readyz",
  "get_collections",
  "get_collection",
  "create_collection",
  "delete_collection",
  "collection_exists",
  "create_field_index",
  "delete_field_index",
  "get_point",
  "get_points",
  "upsert_points",
  "delete_points",
  "set_payload",
  "overwrite_payload",
  "delete_payload",
  "clear_payload",
  "batch_update",
  "scroll_points",
  "count_points",
  "query_points",
  "query_batch_points",
];

const spec = JSON.parse(readFileSync(source, "utf8"));
const paths = {};
for (const [path, item] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (!IMPLEMENTED.includes(op.operationId)) continue;
    paths[path] ??= {};
    paths[path][method] = op;
  }
}
const found = Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
const missing = IMPLEMENTED.filter((id) => !found.includes(id));
if (missing.length > 0) throw new Error(`operations missing from the spec: ${missing.join(", ")}`);

const schemas = {};
const visit = (node) => {
  if (Array.isArray(node)) return node.forEach(visit);
  if (node === null || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")) {
      const name = value.slice("#/components/schemas/".length);
      if (!(name in schemas)) {
        schemas[name] = spec.components.schemas[name];
        visit(schemas[name]);
      }
    } else visit(value);
  }
};
visit(paths);

const subset = {
  openapi: spec.openapi,
  info: {
    ...spec.info,
    title: "Qdrant API (subset served by planvec serve-qdrant)",
    description:
      "Extracted by scripts/qdrant-compat/extract-spec.mjs from Qdrant's official OpenAPI spec " +
      "v1.19.0 (https://github.com/qdrant/qdrant, Apache License 2.0), keeping only the operations " +
      "planvec serve-qdrant implements and the schemas they reference. Unmodified otherwise.",
    version: "1.19.0",
  },
  servers: [{ url: "/" }],
  security: spec.security,
  paths,
  components: { securitySchemes: spec.components.securitySchemes, schemas: sortKeys(schemas) },
};
writeFileSync(target, `${JSON.stringify(subset, null, 1)}\n`);
console.log(`${target}: ${found.length} operations, ${Object.keys(schemas).length} schemas`);

function sortKeys(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}
