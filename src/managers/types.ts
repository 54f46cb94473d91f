/** The one lifecycle every part of the service follows under the coordinator. */
import type { PlanvecConfig } from "../config/schema.js";
import type { EventBus } from "../events/bus.js";
import type { Logger } from "../logging/logger.js";

export type ManagerState = "registered" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface ManagerStatus {
  state: ManagerState;
  /** ISO time of the last health check (null before the first). */
  lastCheck: string | null;
  /** Problems seen by the last start or health check, newest last. */
  errors: string[];
}

/** API key scopes, each including the ones below it: admin ⊃ write ⊃ read. */
export type Scope = "read" | "write" | "admin";
export const SCOPES: readonly Scope[] = ["read", "write", "admin"];

/** JSON Schema of an action's input (also used by the API for validation and OpenAPI). */
export type JsonSchema = Record<string, unknown>;

/** A named operation a manager offers (`POST /api/v1/managers/:name/actions/:action`). */
export interface ManagerAction<Input = Record<string, unknown>> {
  description: string;
  /** Scope needed to run it. */
  scope: Scope;
  input: JsonSchema;
  run(input: Input): Promise<unknown>;
}

/** What a manager gets from the coordinator. */
export interface ManagerContext {
  config: PlanvecConfig;
  logger: Logger;
  bus: EventBus;
  /** Another manager, by name; only valid for names in `dependsOn`. */
  get<T extends Manager>(name: string): T;
}

export interface Manager {
  readonly name: string;
  readonly dependsOn: readonly string[];
  /** Problems with the configuration for this manager (empty when fine); checked before any start. */
  validateConfig?(config: PlanvecConfig): string[];
  /** Prepare without side effects on shared resources (optional). */
  init?(context: ManagerContext): Promise<void>;
  start(context: ManagerContext): Promise<void>;
  stop(): Promise<void>;
  status(): ManagerStatus;
  /** Re-check health now (updates status().lastCheck and errors). */
  check?(): Promise<void>;
  metrics?(): Record<string, number>;
  actions?: Record<string, ManagerAction<never>>;
}
