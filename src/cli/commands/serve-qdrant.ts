import type { Command } from "commander";
import { PlanvecError, UsageError } from "../../core/errors.js";
import { startQdrantCompatServer } from "../../server/qdrant-compat/index.js";

interface ServeQdrantFlags {
  host: string;
  port: string;
  apiKey?: string;
  data: string;
  maxRequestSizeMb: string;
  hnswThreshold?: string;
  log?: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * `planvec serve-qdrant`: serve the embedded store over Qdrant's REST API until SIGINT/SIGTERM.
 * Prints one line with the URL once it accepts connections.
 */
export function registerServeQdrantCommand(program: Command): void {
  program
    .command("serve-qdrant")
    .description(
      "Serve the embedded store over Qdrant's REST API (v1.19 subset): any Qdrant client " +
        "(JS, Python qdrant-client, curl) can use it, and the same code later runs against a real Qdrant",
    )
    .option("--host <host>", "interface to listen on (loopback by default)", "127.0.0.1")
    .option("--port <port>", "TCP port (0 picks a free one)", "6333")
    .option(
      "--api-key <key>",
      "require this key (`api-key` header or `Authorization: Bearer`); default $QDRANT__SERVICE__API_KEY",
    )
    .option("--data <dir>", "embedded store directory", "./.planvec")
    .option("--max-request-size-mb <mb>", "largest request body accepted, in MiB (Qdrant's default)", "32")
    .option(
      "--hnsw-threshold <points>",
      "build the HNSW index once a collection has this many points (default: the embedded store's own threshold); below it, searches are exact scans",
    )
    .option("--log", "log every request (JSON lines on stdout)")
    .addHelpText(
      "after",
      "\nExample:\n  planvec serve-qdrant --port 6333 --data ./.planvec\n  curl localhost:6333/collections\n",
    )
    .action(async (flags: ServeQdrantFlags) => {
      const port = parseInteger(flags.port, "--port", 0, 65_535);
      const maxMb = parseInteger(flags.maxRequestSizeMb, "--max-request-size-mb", 1, 1024);
      const hnswThreshold =
        flags.hnswThreshold === undefined
          ? undefined
          : parseInteger(flags.hnswThreshold, "--hnsw-threshold", 0, Number.MAX_SAFE_INTEGER);
      const apiKey = flags.apiKey ?? process.env.QDRANT__SERVICE__API_KEY;
      if (!apiKey && !LOOPBACK.has(flags.host)) {
        process.stderr.write(
          `planvec serve-qdrant: warning: listening on ${flags.host} without --api-key; anyone who can reach it can read and write the store\n`,
        );
      }
      let server: Awaited<ReturnType<typeof startQdrantCompatServer>>;
      try {
        server = await startQdrantCompatServer({
          host: flags.host,
          port,
          dataDir: flags.data,
          apiKey,
          bodyLimitBytes: maxMb * 1024 * 1024,
          logger: flags.log ?? false,
          ...(hnswThreshold === undefined ? {} : { storeOptions: { hnswThreshold } }),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
          throw new PlanvecError(
            "serve-qdrant",
            "address_in_use",
            `${flags.host}:${port} is already in use; choose another port with --port (0 picks a free one)`,
            { cause: error },
          );
        }
        throw error;
      }
      process.stdout.write(
        `planvec serve-qdrant listening on ${server.url} (store embedded:${flags.data})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await server.close();
    });
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      "serve-qdrant",
      "invalid_option",
      `${flag} must be an integer from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}
