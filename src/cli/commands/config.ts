import type { Command } from "commander";
import { printJson } from "../format.js";

/** Global-ish flags shared by service commands, mapped to config keys. */
export const SERVICE_FLAG_NAMES: Record<string, string> = {
  "server.port": "--port",
  "server.host": "--host",
  "store.spec": "--store",
  logLevel: "--log-level",
};

export function serviceFlags(flags: {
  port?: string;
  host?: string;
  store?: string;
  logLevel?: string;
}): Record<string, unknown> {
  return {
    "server.port": flags.port,
    "server.host": flags.host,
    "store.spec": flags.store,
    logLevel: flags.logLevel,
  };
}

/** `planvec config show [--json]`: the effective configuration, secrets redacted, with sources. */
export function registerConfigCommand(program: Command): void {
  const config = program
    .command("config")
    .description("Inspect the service configuration (planvec.yaml, environment, flags)");
  config
    .command("show")
    .description("Print the effective configuration with secrets redacted and where each value came from")
    .option("--config <file>", "config file (default CONFIG_PATH, else ./planvec.yaml)")
    .option("--port <n>", "as `planvec serve --port`")
    .option("--host <host>", "as `planvec serve --host`")
    .option("--store <spec>", "as `--store`")
    .option("--log-level <level>", "as `planvec serve --log-level`")
    .option("--json", "print JSON: {file, config, sources}")
    .action(
      async (flags: {
        config?: string;
        port?: string;
        host?: string;
        store?: string;
        logLevel?: string;
        json?: boolean;
      }) => {
        const { loadConfig, redactConfig } = await import("../../config/index.js");
        const loaded = loadConfig({
          ...(flags.config ? { file: flags.config } : {}),
          flags: serviceFlags(flags),
          flagNames: SERVICE_FLAG_NAMES,
        });
        const shown = redactConfig(loaded.config);
        if (flags.json) {
          printJson({ file: loaded.file, config: shown, sources: loaded.sources });
          return;
        }
        process.stdout.write(`# config file: ${loaded.file ?? "(none)"}\n`);
        const rows = Object.entries(loaded.sources).map(([key, source]) => {
          let value: unknown = shown;
          for (const part of key.split(".")) value = (value as Record<string, unknown>)?.[part];
          return [key, JSON.stringify(value) ?? "", source] as const;
        });
        const keyWidth = Math.max(...rows.map((r) => r[0].length));
        const valueWidth = Math.min(48, Math.max(...rows.map((r) => r[1].length)));
        for (const [key, value, source] of rows) {
          process.stdout.write(`${key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${source}\n`);
        }
      },
    );
}
