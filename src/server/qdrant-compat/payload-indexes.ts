/**
 * Payload indexes declared through `PUT /collections/{name}/index`.
 *
 * The embedded store already evaluates payload conditions on in-memory columns for every
 * field, so a declared index changes no query plan; what the server owes clients is that the
 * declaration is accepted, validated, remembered across restarts and reported back in
 * `payload_schema`, as Qdrant does. Kept in a small JSON file beside the store's data.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Qdrant's payload schema types. */
export type PayloadSchemaType =
  | "keyword"
  | "integer"
  | "float"
  | "geo"
  | "text"
  | "bool"
  | "datetime"
  | "uuid";

export interface DeclaredIndex {
  data_type: PayloadSchemaType;
  /** The `field_schema` object when params were given (e.g. `{type: "keyword", is_tenant: true}`). */
  params: Record<string, unknown> | null;
}

type Registry = Record<string, Record<string, DeclaredIndex>>;

export class PayloadIndexRegistry {
  private registry: Registry = {};

  private constructor(private readonly file: string | null) {}

  /** Load the registry from `file` (missing file: empty); `null` keeps it in memory only. */
  static async open(file: string | null): Promise<PayloadIndexRegistry> {
    const registry = new PayloadIndexRegistry(file);
    if (file) {
      try {
        registry.registry = JSON.parse(await readFile(file, "utf8")) as Registry;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    return registry;
  }

  list(collection: string): Record<string, DeclaredIndex> {
    return this.registry[collection] ?? {};
  }

  async declare(collection: string, field: string, index: DeclaredIndex): Promise<void> {
    this.registry[collection] = { ...this.list(collection), [field]: index };
    await this.save();
  }

  async remove(collection: string, field: string): Promise<void> {
    const fields = { ...this.list(collection) };
    delete fields[field];
    this.registry[collection] = fields;
    await this.save();
  }

  async dropCollection(collection: string): Promise<void> {
    if (!(collection in this.registry)) return;
    delete this.registry[collection];
    await this.save();
  }

  /** Write-then-rename so a crash leaves either the old or the new file, never half of one. */
  private async save(): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    await writeFile(temp, `${JSON.stringify(this.registry, null, 2)}\n`);
    await rename(temp, this.file);
  }
}
