import type { Command } from "commander";
import { SERVICE_FLAG_NAMES, serviceFlags } from "./config.js";

/** `planvec serve`: the REST API gateway with every manager, until SIGTERM / SIGINT. */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("Serve the REST API (OpenAPI at /openapi.json, docs at /docs, metrics at /metrics)")
    .option("--port <n>", "port (default 8080; 0 picks a free one)")
    .option("--host <host>", "interface (default 127.0.0.1)")
    .option("--store <spec>", "embedded:PATH or qdrant:URL (default PLANVEC_STORE, else embedded:./.planvec)")
    .option("--log-level <level>", "trace, debug, info, warn, error, fatal or silent")
    .option("--config <file>", "config file (default CONFIG_PATH, else ./planvec.yaml)")
    .action(
      async (flags: { port?: string; host?: string; store?: string; logLevel?: string; config?: string }) => {
        const { loadConfig } = await import("../../config/index.js");
        const { startApiServer } = await import("../../server/api/index.js");
        const { onShutdownSignal } = await import("../../managers/coordinator.js");
        const loaded = loadConfig({
          ...(flags.config ? { file: flags.config } : {}),
          flags: serviceFlags(flags),
          flagNames: SERVICE_FLAG_NAMES,
        });
        const server = await startApiServer({ loaded });
        server.app.log.info({ url: server.url, docs: `${server.url}/docs` }, "planvec API listening");
        process.stdout.write(`planvec API on ${server.url} (docs: ${server.url}/docs)\n`);
        await new Promise<void>((resolve) => {
          const remove = onShutdownSignal(async () => {
            try {
              await server.close();
            } finally {
              remove();
              resolve();
            }
          }, server.app.log as never);
        });
      },
    );
}
