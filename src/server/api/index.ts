/** `planvec serve`: the managers under a coordinator, the event bus, and the REST gateway in front. */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { LoadedConfig } from "../../config/load.js";
import { secretValues } from "../../config/redact.js";
import { EventBus } from "../../events/bus.js";
import { createLogger, type PlanvecLogger } from "../../logging/logger.js";
import { Coordinator } from "../../managers/coordinator.js";
import { type ServiceManagerOptions, serviceManagers } from "../../managers/index.js";
import { buildApiApp } from "./app.js";
import type { JobRegistry } from "./jobs.js";

export { type ApiApp, type ApiAppOptions, buildApiApp } from "./app.js";
export { type Job, JobRegistry, type JobState } from "./jobs.js";

export interface ApiServerOptions extends ServiceManagerOptions {
  loaded: LoadedConfig;
  /** Default: a logger made from the config (level, ENV), masking the config's secrets. */
  log?: PlanvecLogger;
}

export interface ApiServer {
  url: string;
  port: number;
  app: FastifyInstance;
  coordinator: Coordinator;
  bus: EventBus;
  jobs: JobRegistry;
  /** Graceful stop: refuse new requests, finish in-flight ones and jobs, drain events, stop managers. */
  close(): Promise<void>;
}

/** Start managers, then listen. A manager that fails to start leaves nothing running. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { config } = options.loaded;
  const log =
    options.log ?? createLogger({ level: config.logLevel, env: config.env, secrets: secretValues(config) });
  const bus = new EventBus({
    queueSize: config.events.queueSize,
    log: join(config.dataDir, "events.db"),
    onError: (error, event, subscriber) =>
      log.logger.warn({ err: error, topic: event.topic, subscriber }, "event subscriber failed"),
  });
  const coordinator = new Coordinator({ config, logger: log.logger, bus });
  coordinator.register(...serviceManagers(options.loaded, options));
  try {
    await coordinator.start();
  } catch (error) {
    bus.close();
    throw error;
  }
  let built: Awaited<ReturnType<typeof buildApiApp>>;
  try {
    built = await buildApiApp({ coordinator, logger: log.logger, onSecret: log.addSecret });
    await built.app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    await coordinator.stop();
    bus.close();
    throw error;
  }
  const { app, jobs } = built;
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.server.port;
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    app,
    coordinator,
    bus,
    jobs,
    close() {
      closing ??= (async () => {
        await app.close();
        await jobs.drain(config.server.shutdownTimeoutMs);
        jobs.close();
        await Promise.race([bus.drain(), new Promise((r) => setTimeout(r, 2000))]);
        await coordinator.stop();
        bus.close();
      })();
      return closing;
    },
  };
}
