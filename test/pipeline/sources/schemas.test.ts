import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaExtractor, schemaType } from "../../../src/pipeline/sources/schemas.js";
import { parseSqlTables } from "../../../src/pipeline/sources/sql.js";
import { extractFixture, FIXTURES, fixtureLines, get, utf8 } from "./helpers.js";

const AREA = "schemas";

describe("JSON Schema files", () => {
  it("gives one record for the root and one per $defs entry, with fields, types and required", () => {
    const { records, warnings } = extractFixture(schemaExtractor, AREA, "schemas/order.schema.json");
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.key)).toEqual([
      "schemas/order.schema.json#schema:#",
      "schemas/order.schema.json#schema:#/$defs/Customer",
      "schemas/order.schema.json#schema:#/$defs/Address",
      "schemas/order.schema.json#schema:#/$defs/OrderLine",
    ]);
    const root = get(records, "schemas/order.schema.json#schema:#");
    expect(root.collection).toBe("schemas");
    expect(root.payload).toMatchObject({ title: "Order", kind: "schema", format: "json-schema", line: 1 });
    expect(root.payload.required).toEqual(["id", "customer", "lines"]);
    expect(root.payload.properties).toContainEqual({
      name: "lines",
      type: "array<OrderLine>",
      required: true,
    });
    expect(root.payload.properties).toContainEqual({ name: "notes", type: "string|null", required: false });
    expect(root.text).toContain("A customer order placed through the web shop.");
    expect(root.text).toContain("- id (string(uuid), required): Order identifier.");
    const address = get(records, "schemas/order.schema.json#schema:#/$defs/Address");
    expect(fixtureLines(AREA, "schemas/order.schema.json")[address.payload.line - 1]).toContain('"Address"');
    expect(address.text).toContain("country (string, required): ISO 3166-1 alpha-2 code");
  });

  it("reads draft-07 definitions and describes const/oneOf", () => {
    const { records } = extractFixture(schemaExtractor, AREA, "schemas/config.schema.json");
    const cache = get(records, "schemas/config.schema.json#schema:#/definitions/cache");
    expect(cache.payload.properties).toContainEqual({
      name: "backend",
      type: "const memory | const redis",
      required: false,
    });
    expect(get(records, "schemas/config.schema.json#schema:#").payload.title).toBe("Service configuration");
  });

  it("reads JSON Schema written in YAML", () => {
    const { records, warnings } = extractFixture(schemaExtractor, AREA, "schemas/event.schema.yaml");
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.key, r.payload.line])).toEqual([
      ["schemas/event.schema.yaml#schema:#", 1],
      ["schemas/event.schema.yaml#schema:#/$defs/Change", 12],
    ]);
    expect(records[0]?.payload.required).toEqual(["at", "actor"]);
  });

  it("warns on invalid JSON with its line", () => {
    const { records, warnings } = extractFixture(schemaExtractor, AREA, "broken/bad.schema.json");
    expect(records).toEqual([]);
    expect(warnings.map((w) => [w.code, w.line])).toEqual([["invalid-json", 1]]);
  });
});

describe("OpenAPI and Swagger", () => {
  it("gives one record per operation with parameters, bodies and responses, resolving local $refs", () => {
    const { records, warnings } = extractFixture(schemaExtractor, AREA, "api/openapi.yaml");
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.key)).toEqual([
      "api/openapi.yaml#schema:GET /orders",
      "api/openapi.yaml#schema:POST /orders",
      "api/openapi.yaml#schema:GET /orders/{orderId}",
      "api/openapi.yaml#schema:DELETE /orders/{orderId}",
      "api/openapi.yaml#schema:#/components/schemas/Order",
      "api/openapi.yaml#schema:#/components/schemas/NewOrder",
      "api/openapi.yaml#schema:#/components/schemas/Error",
    ]);
    const list = get(records, "api/openapi.yaml#schema:GET /orders");
    expect(list.payload).toMatchObject({
      method: "GET",
      path: "/orders",
      operationId: "listOrders",
      format: "openapi",
    });
    expect(list.payload.parameters).toEqual([
      {
        name: "pageSize",
        in: "query",
        type: "integer",
        required: false,
        description: "How many orders per page (max 100)",
      },
      { name: "status", in: "query", type: "enum(draft|paid|shipped)", required: false },
    ]);
    expect(list.payload.responses).toContainEqual({
      status: "401",
      schema: ["Error"],
      description: "Missing or invalid token",
    });
    expect(list.text).toContain("List orders of the current customer");
    expect(get(records, "api/openapi.yaml#schema:POST /orders").payload.requestBody).toEqual(["NewOrder"]);
    // Path-level parameters apply to every operation of the path.
    const cancel = get(records, "api/openapi.yaml#schema:DELETE /orders/{orderId}");
    expect(cancel.payload.parameters).toEqual([
      { name: "orderId", in: "path", type: "string(uuid)", required: true },
    ]);
    expect(cancel.text).toContain("Deprecated.");
    const lines = fixtureLines(AREA, "api/openapi.yaml");
    expect(lines[cancel.payload.line - 1]?.trim()).toBe("delete:");
    const order = get(records, "api/openapi.yaml#schema:#/components/schemas/Order");
    expect(lines[order.payload.line - 1]?.trim()).toBe("Order:");
    expect(order.payload.required).toEqual(["id", "status"]);
  });

  it("reads Swagger 2 body parameters and definitions", () => {
    const { records, warnings } = extractFixture(schemaExtractor, AREA, "api/swagger.json");
    expect(warnings).toEqual([]);
    const upsert = get(records, "api/swagger.json#schema:PUT /items/{sku}");
    expect(upsert.payload).toMatchObject({ format: "swagger", requestBody: ["Item"] });
    expect(upsert.payload.parameters).toEqual([{ name: "sku", in: "path", type: "string", required: true }]);
    expect(get(records, "api/swagger.json#schema:GET /items").payload.responses).toEqual([
      { status: "200", schema: ["array<Item>"], description: "Items" },
    ]);
    const item = get(records, "api/swagger.json#schema:#/definitions/Item");
    expect(fixtureLines(AREA, "api/swagger.json")[item.payload.line - 1]).toContain('"Item"');
  });

  it("warns on broken YAML and on API-named files without openapi/swagger", () => {
    const broken = extractFixture(schemaExtractor, AREA, "broken/openapi.yaml");
    expect(broken.records).toEqual([]);
    expect(broken.warnings.length).toBeGreaterThan(0);
    expect(broken.warnings.every((w) => w.code === "invalid-yaml" && w.line >= 8)).toBe(true);
    const nope = extractFixture(schemaExtractor, AREA, "broken/openapi-nope.json");
    expect(nope.warnings.map((w) => w.code)).toEqual(["not-openapi"]);
  });

  it("ignores plain YAML in API folders (detected by content) and rejects OpenAPI 4", () => {
    expect(schemaExtractor.extract("api/values.yaml", utf8("replicas: 3\n"))).toEqual({
      records: [],
      warnings: [],
    });
    const future = schemaExtractor.extract("api/openapi.json", utf8('{"openapi": "4.0.0", "paths": {}}'));
    expect(future.warnings.map((w) => w.code)).toEqual(["unsupported-openapi"]);
  });
});

describe("a large real OpenAPI document (Qdrant 1.19.0)", () => {
  const file = "real/qdrant-openapi-v1.19.0.json";
  const spec = JSON.parse(readFileSync(join(FIXTURES, AREA, file), "utf8")) as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, unknown> };
  };
  const { records, warnings } = extractFixture(schemaExtractor, AREA, file);

  it("gives every operation and component schema, once, without warnings", () => {
    expect(warnings).toEqual([]);
    const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => methods.has(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const firstParts = records.filter((r) => !r.key.includes("#part"));
    // Methods come in HTTP_METHODS order within a path, so compare as sets (no duplicates).
    const extracted = firstParts.filter((r) => r.payload.method).map((r) => String(r.payload.name));
    expect(extracted.length).toBe(operations.length);
    expect(new Set(extracted)).toEqual(new Set(operations));
    expect(firstParts.filter((r) => !r.payload.method).map((r) => r.payload.name)).toEqual(
      Object.keys(spec.components.schemas),
    );
  });

  it("points every operation at its method key and every schema at its name", () => {
    const lines = fixtureLines(AREA, file);
    for (const record of records) {
      const expected = record.payload.method
        ? `"${String(record.payload.method).toLowerCase()}"`
        : `"${record.payload.name}"`;
      expect(lines[record.payload.line - 1], record.key).toContain(`${expected}:`);
    }
    const search = get(records, `${file}#schema:POST /collections/{collection_name}/points/query`);
    expect(search.payload.requestBody).toEqual(["QueryRequest"]);
    expect(search.text).toContain("result: QueryResponse");
  });

  it("keeps every text under the window, splitting large schemas into parts", () => {
    for (const record of records) expect(record.text.length).toBeLessThanOrEqual(1000);
    expect(records.some((r) => r.key.endsWith("#part2"))).toBe(true);
  });
});

describe("SQL", () => {
  it("reads PostgreSQL tables with quoting, comments, IF NOT EXISTS, references and COMMENT ON", () => {
    const { records, warnings } = extractFixture(schemaExtractor, AREA, "db/schema.sql");
    expect(warnings).toEqual([]);
    // The CREATE TABLE inside the $$ function body is not a table.
    expect(records.map((r) => r.key)).toEqual([
      "db/schema.sql#schema:public.customers",
      "db/schema.sql#schema:order",
      "db/schema.sql#schema:import_batch",
    ]);
    const customers = get(records, "db/schema.sql#schema:public.customers");
    expect(customers.payload).toMatchObject({
      ifNotExists: true,
      line: 5,
      description: "Customers who can place orders",
    });
    const columns = customers.payload.columns as {
      name: string;
      type: string;
      nullable: boolean;
      comment?: string;
    }[];
    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "bigserial"],
      ["email", "text"],
      ["full_name", "character varying(200)"],
      ["created_at", "timestamp with time zone"],
    ]);
    expect(columns[1]).toMatchObject({ nullable: false, unique: true, comment: "login and receipts" });
    const order = get(records, "db/schema.sql#schema:order");
    expect(order.payload.description).toBe("One order placed by a customer");
    const orderColumns = order.payload.columns as {
      name: string;
      references?: string;
      comment?: string;
      type: string;
    }[];
    expect(orderColumns.find((c) => c.name === "customer_id")?.references).toBe("public.customers(id)");
    expect(orderColumns.find((c) => c.name === "total")?.comment).toBe("Amount in euros, VAT included");
    expect(orderColumns.find((c) => c.name === "tags")?.type).toBe("text[]");
    expect(order.payload.constraints).toEqual(["CONSTRAINT order_total_positive CHECK(total >= 0)"]);
    expect(get(records, "db/schema.sql#schema:import_batch").payload.derivedFrom).toMatch(/^AS SELECT/);
  });

  it("reads MySQL backticks, inline COMMENTs, KEY definitions and table options", () => {
    const { records } = extractFixture(schemaExtractor, AREA, "db/mysql.sql");
    const audit = get(records, "db/mysql.sql#schema:audit_log");
    expect(audit.payload.description).toBe("who did what");
    const columns = audit.payload.columns as { name: string; autoIncrement: boolean; comment?: string }[];
    expect(columns.map((c) => c.name)).toEqual(["id", "actor", "action", "payload", "at"]);
    expect(columns[0]?.autoIncrement).toBe(true);
    expect(columns[1]?.comment).toBe("user or service that acted");
    expect(audit.payload.constraints).toEqual([
      "PRIMARY KEY(id)",
      "KEY idx_actor(actor)",
      "FOREIGN KEY(actor) REFERENCES users(login)",
    ]);
  });

  it("reads SQLite one-liners, bracket identifiers and virtual tables, and a column named key", () => {
    const { records } = extractFixture(schemaExtractor, AREA, "db/sqlite.sql");
    expect(records.map((r) => r.payload.title)).toEqual(["settings", "Legacy Users", "docs_fts"]);
    const settings = records[0]?.payload.columns as { name: string; primaryKey: boolean }[];
    expect(settings.map((c) => c.name)).toEqual(["key", "value", "updated"]);
    expect(settings[0]?.primaryKey).toBe(true);
    expect(((records[1]?.payload.columns ?? []) as { name: string }[]).map((c) => c.name)).toEqual([
      "User Id",
      "Name",
    ]);
  });

  it("reads ALTER TABLE in migrations: added columns, constraints and other changes", () => {
    const file = "db/migrations/0042_add_loyalty.sql";
    const { records, warnings } = extractFixture(schemaExtractor, AREA, file);
    expect(warnings).toEqual([]);
    const customers = get(records, `${file}#schema:public.customers`);
    expect(customers.payload).toMatchObject({
      alteredOnly: true,
      line: 2,
      alterations: ["DROP COLUMN legacy_flag"],
    });
    const columns = customers.payload.columns as {
      name: string;
      nullable: boolean;
      default?: string;
      comment?: string;
    }[];
    expect(columns.map((c) => c.name)).toEqual(["loyalty_points", "tier"]);
    expect(columns[0]).toMatchObject({ nullable: false, default: "0", comment: "earned on paid orders" });
    expect(customers.payload.constraints).toEqual([
      "CONSTRAINT tier_known CHECK(tier IN('bronze', 'silver', 'gold'))",
    ]);
    expect(customers.text).toContain("altered in db/migrations/0042_add_loyalty.sql");
    // A table created in the same file takes the added column.
    const events = get(records, `${file}#schema:loyalty_events`);
    expect((events.payload.columns as { name: string }[]).map((c) => c.name)).toEqual([
      "id",
      "customer_id",
      "reason",
    ]);
    expect(events.payload.alteredOnly).toBeUndefined();
  });

  it("warns on an unterminated column list or string and keeps what was read", () => {
    const unterminated = extractFixture(schemaExtractor, AREA, "broken/unterminated.sql");
    expect(unterminated.records.map((r) => r.payload.title)).toEqual(["ok_table", "half"]);
    expect(unterminated.warnings.map((w) => [w.code, w.line])).toEqual([["unterminated-create-table", 3]]);
    const quote = extractFixture(schemaExtractor, AREA, "broken/quote.sql");
    expect(quote.warnings.map((w) => w.code)).toContain("unterminated-string");
  });

  it("splits wide tables into parts under the window with #partN keys", () => {
    const columns = Array.from(
      { length: 80 },
      (_, i) => `  column_number_${i} varchar(255) not null default 'value ${i}'`,
    );
    const sql = `CREATE TABLE wide (\n${columns.join(",\n")}\n);`;
    const { records } = schemaExtractor.extract("db/wide.sql", utf8(sql));
    expect(records.length).toBeGreaterThan(3);
    expect(records[0]?.key).toBe("db/wide.sql#schema:wide");
    expect(records[1]?.key).toBe("db/wide.sql#schema:wide#part2");
    for (const record of records) {
      expect(record.text.length).toBeLessThanOrEqual(1000);
      expect(record.text.startsWith("SQL table wide in db/wide.sql.")).toBe(true);
    }
    const all = records.map((r) => r.text).join("\n");
    for (let i = 0; i < 80; i++) expect(all).toContain(`column_number_${i} `);
  });

  it("numbers repeated table names instead of repeating keys", () => {
    const { tables } = parseSqlTables("create table t (a int); create table t (b int);");
    expect(tables).toHaveLength(2);
    const { records } = schemaExtractor.extract(
      "x.sql",
      utf8("create table t (a int); create table t (b int);"),
    );
    expect(records.map((r) => r.key)).toEqual(["x.sql#schema:t", "x.sql#schema:t~2"]);
  });
});

describe("schemaType", () => {
  it("describes refs, arrays, formats, enums, unions and nullables", () => {
    expect(schemaType({ $ref: "#/components/schemas/Pet" })).toBe("Pet");
    expect(schemaType({ type: "array", items: { type: "string", format: "date" } })).toBe(
      "array<string(date)>",
    );
    expect(schemaType({ type: "integer", nullable: true })).toBe("integer|null");
    expect(schemaType({ anyOf: [{ type: "string" }, { $ref: "#/$defs/X" }] })).toBe("string | X");
    expect(schemaType({ allOf: [{ $ref: "#/$defs/A" }, { $ref: "#/$defs/B" }] })).toBe("A & B");
    expect(schemaType({ properties: { a: {} } })).toBe("object");
    expect(schemaType(true)).toBe("any");
  });
});
