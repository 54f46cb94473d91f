import { join } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../core/errors.js";
import { printJson } from "../format.js";

async function openKeys(flags: { config?: string }) {
  const { loadConfig } = await import("../../config/index.js");
  const { ApiKeyStore } = await import("../../managers/api-keys.js");
  const { config } = loadConfig(flags.config ? { file: flags.config } : {});
  return ApiKeyStore.open(join(config.dataDir, "service.db"));
}

/** `planvec keys create|list|revoke`: API keys for `planvec serve`. */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command("keys")
    .description("Manage API keys of the REST API (stored hashed in <dataDir>/service.db)");
  keys
    .command("create")
    .description("Create a key and print it once (it cannot be shown again)")
    .requiredOption("--scope <scope...>", "read, write or admin (admin includes write, write includes read)")
    .option("--name <name>", "a label, e.g. who uses the key")
    .option("--config <file>", "config file (default CONFIG_PATH, else ./planvec.yaml)")
    .option("--json", "print JSON: {id, key, scopes}")
    .action(async (flags: { scope: string[]; name?: string; config?: string; json?: boolean }) => {
      const store = await openKeys(flags);
      try {
        const { ApiKeyError } = await import("../../managers/api-keys.js");
        let created: { id: string; key: string; scopes: string[] };
        try {
          created = store.create(
            flags.scope.flatMap((s) => s.split(",")),
            flags.name ?? null,
          );
        } catch (error) {
          if (error instanceof ApiKeyError) throw new UsageError("keys create", error.code, error.message);
          throw error;
        }
        if (flags.json) printJson(created);
        else {
          process.stdout.write(`${created.key}\n`);
          process.stderr.write(
            `key ${created.id} with scopes ${created.scopes.join(", ")}: store it now, it is not shown again\n`,
          );
        }
      } finally {
        store.close();
      }
    });
  keys
    .command("list")
    .description("List keys (ids, scopes, dates; never the keys)")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (flags: { config?: string; json?: boolean }) => {
      const store = await openKeys(flags);
      try {
        const list = store.list();
        if (flags.json) return printJson(list);
        if (list.length === 0)
          process.stdout.write("no keys (create one with `planvec keys create --scope read`)\n");
        for (const k of list) {
          process.stdout.write(
            `${k.id}  ${k.scopes.join(",").padEnd(16)}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ""}${k.lastUsedAt ? `  last used ${k.lastUsedAt}` : ""}${k.name ? `  ${k.name}` : ""}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
  keys
    .command("revoke")
    .description("Revoke a key by id; the server refuses it from the next request")
    .argument("<id>", "key id (from `keys list`)")
    .option("--config <file>", "config file")
    .action(async (id: string, flags: { config?: string }) => {
      const store = await openKeys(flags);
      try {
        if (!store.revoke(id))
          throw new UsageError(
            "keys revoke",
            "unknown_key",
            `no active key with id ${id} (see \`planvec keys list\`)`,
          );
        process.stdout.write(`revoked ${id}\n`);
      } finally {
        store.close();
      }
    });
}
