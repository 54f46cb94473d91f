/**
 * The coordinator: registers managers, starts them in dependency order, stops them in
 * reverse, aggregates health, and shuts everything down on SIGTERM / SIGINT.
 */

import type { PlanvecConfig } from "../config/schema.js";
import { PlanvecError } from "../core/errors.js";
import type { EventBus } from "../events/bus.js";
import type { Logger } from "../logging/logger.js";
import type { Manager, ManagerContext, ManagerStatus } from "./types.js";

export class CoordinatorError extends PlanvecError {}

/** A manager failed to start; the ones started before it were stopped again (reverse order). */
export class ManagerStartError extends CoordinatorError {
  constructor(
    readonly manager: string,
    readonly stopped: string[],
    cause: unknown,
  ) {
    super(
      "start managers",
      "manager_start_failed",
      `manager "${manager}" failed to start: ${cause instanceof Error ? cause.message : String(cause)}; stopped again: ${stopped.length > 0 ? stopped.join(", ") : "(none)"}`,
      { cause },
    );
  }
}

export type HealthState = "ok" | "degraded" | "down";

export interface HealthReport {
  status: HealthState;
  managers: Record<string, ManagerStatus>;
}

export interface CoordinatorOptions {
  config: PlanvecConfig;
  logger: Logger;
  bus: EventBus;
  /** Longest a single health check may take before it counts as failed (default 2 s). */
  checkTimeoutMs?: number;
}

export class Coordinator {
  private readonly managers = new Map<string, Manager>();
  private started: Manager[] = [];
  private readonly context: ManagerContext;

  constructor(private readonly options: CoordinatorOptions) {
    this.context = {
      config: options.config,
      logger: options.logger,
      bus: options.bus,
      get: <T extends Manager>(name: string) => this.get<T>(name),
    };
  }

  /** The event bus managers publish on. */
  get bus(): EventBus {
    return this.options.bus;
  }

  register(...managers: Manager[]): this {
    for (const manager of managers) {
      if (this.managers.has(manager.name)) {
        throw new CoordinatorError(
          "register manager",
          "duplicate_manager",
          `a manager named "${manager.name}" is already registered`,
        );
      }
      this.managers.set(manager.name, manager);
    }
    return this;
  }

  get<T extends Manager>(name: string): T {
    const manager = this.managers.get(name);
    if (!manager) throw new CoordinatorError("get manager", "unknown_manager", `no manager named "${name}"`);
    return manager as T;
  }

  has(name: string): boolean {
    return this.managers.has(name);
  }

  list(): Manager[] {
    return [...this.managers.values()];
  }

  /**
   * Start order: dependencies first (depth-first topological sort, registration order among
   * equals). Throws on an unknown dependency or a cycle, naming the whole cycle.
   */
  order(): Manager[] {
    const ordered: Manager[] = [];
    const done = new Set<string>();
    const visiting: string[] = [];
    const visit = (name: string, from: string | null) => {
      if (done.has(name)) return;
      const manager = this.managers.get(name);
      if (!manager) {
        throw new CoordinatorError(
          "order managers",
          "unknown_dependency",
          `manager "${from}" depends on "${name}", which is not registered`,
        );
      }
      const at = visiting.indexOf(name);
      if (at >= 0) {
        const cycle = [...visiting.slice(at), name].join(" -> ");
        throw new CoordinatorError(
          "order managers",
          "dependency_cycle",
          `dependency cycle between managers: ${cycle}`,
        );
      }
      visiting.push(name);
      for (const dependency of manager.dependsOn) visit(dependency, name);
      visiting.pop();
      done.add(name);
      ordered.push(manager);
    };
    for (const name of this.managers.keys()) visit(name, null);
    return ordered;
  }

  /** Every manager's configuration problems, prefixed with its name (empty when all fine). */
  validateConfig(): string[] {
    return this.list().flatMap((m) =>
      (m.validateConfig?.(this.options.config) ?? []).map((p) => `${m.name}: ${p}`),
    );
  }

  /**
   * Start every manager in dependency order. When one fails, the ones already started are
   * stopped in reverse order and a {@link ManagerStartError} says which failed and why.
   */
  async start(): Promise<void> {
    const order = this.order();
    const problems = this.validateConfig();
    if (problems.length > 0) {
      throw new CoordinatorError(
        "start managers",
        "invalid_config",
        `invalid configuration:\n  ${problems.join("\n  ")}`,
      );
    }
    const { logger, bus } = this.options;
    for (const manager of order) {
      const began = Date.now();
      try {
        await manager.init?.(this.context);
        await manager.start(this.context);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error({ manager: manager.name, err: error }, "manager failed to start");
        bus.publish("manager.state", { name: manager.name, state: "failed", error: message });
        const stopped = await this.stopStarted();
        throw new ManagerStartError(manager.name, stopped, error);
      }
      this.started.push(manager);
      bus.publish("manager.state", { name: manager.name, state: "running" });
      logger.debug({ manager: manager.name, ms: Date.now() - began }, "manager started");
    }
  }

  /**
   * Run a manager's named action on validated input, logging its start, end and duration
   * (under the current request's id when a request asked for it).
   */
  async runAction(managerName: string, actionName: string, input: unknown): Promise<unknown> {
    const action = this.get(managerName).actions?.[actionName];
    if (!action) {
      throw new CoordinatorError(
        "run action",
        "unknown_action",
        `manager "${managerName}" has no action "${actionName}"`,
      );
    }
    const { logger } = this.options;
    const began = Date.now();
    logger.info({ manager: managerName, action: actionName }, "manager action started");
    try {
      const result = await (action.run as (input: unknown) => Promise<unknown>)(input);
      logger.info(
        { manager: managerName, action: actionName, ms: Date.now() - began },
        "manager action done",
      );
      return result;
    } catch (error) {
      logger.warn({ manager: managerName, action: actionName, err: error }, "manager action failed");
      throw error;
    }
  }

  /** Stop started managers in reverse start order; errors are logged, never stop the others. */
  async stop(): Promise<void> {
    await this.stopStarted();
  }

  private async stopStarted(): Promise<string[]> {
    const stopped: string[] = [];
    for (const manager of [...this.started].reverse()) {
      try {
        await manager.stop();
        this.options.bus.publish("manager.state", { name: manager.name, state: "stopped" });
      } catch (error) {
        this.options.logger.error({ manager: manager.name, err: error }, "manager failed to stop cleanly");
      }
      stopped.push(manager.name);
    }
    this.started = [];
    return stopped;
  }

  /** Run every manager's health check (bounded in time) and aggregate: ok, degraded or down. */
  async health(): Promise<HealthReport> {
    const timeout = this.options.checkTimeoutMs ?? 2000;
    const managers: Record<string, ManagerStatus> = {};
    await Promise.all(
      this.list().map(async (manager) => {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), timeout);
        });
        const result = await Promise.race([manager.check?.().then(() => "ok" as const), limit]);
        clearTimeout(timer);
        const status = manager.status();
        managers[manager.name] =
          result === "timeout"
            ? { ...status, errors: [...status.errors, `health check took over ${timeout} ms`] }
            : status;
      }),
    );
    const statuses = Object.values(managers);
    const status: HealthState = statuses.some((s) => s.state !== "running")
      ? "down"
      : statuses.some((s) => s.errors.length > 0)
        ? "degraded"
        : "ok";
    return { status, managers };
  }
}

/**
 * Run `shutdown` once on the first SIGTERM or SIGINT; a second signal exits at once (130).
 * Returns a function removing the handlers.
 */
export function onShutdownSignal(
  shutdown: (signal: NodeJS.Signals) => Promise<void>,
  logger?: Logger,
): () => void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger?.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    shuttingDown = true;
    logger?.info({ signal }, "shutting down");
    void shutdown(signal);
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return () => {
    process.off("SIGTERM", handler);
    process.off("SIGINT", handler);
  };
}
