/** Shared state bookkeeping for managers: subclasses implement onStart / onStop / onCheck. */
import type { Manager, ManagerAction, ManagerContext, ManagerState, ManagerStatus } from "./types.js";

const MAX_ERRORS = 10;

export abstract class BaseManager implements Manager {
  abstract readonly name: string;
  abstract readonly dependsOn: readonly string[];
  actions?: Record<string, ManagerAction<never>>;
  protected lifecycle: ManagerState = "registered";
  protected lastCheck: string | null = null;
  protected errors: string[] = [];
  protected context: ManagerContext | undefined;

  protected abstract onStart(context: ManagerContext): Promise<void>;
  protected async onStop(): Promise<void> {}
  /** Throw when unhealthy. */
  protected async onCheck(): Promise<void> {}

  async start(context: ManagerContext): Promise<void> {
    this.context = context;
    this.lifecycle = "starting";
    try {
      await this.onStart(context);
      this.lifecycle = "running";
      this.errors = [];
    } catch (error) {
      this.lifecycle = "failed";
      this.recordError(error);
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.lifecycle === "stopped" || this.lifecycle === "registered") {
      this.lifecycle = "stopped";
      return;
    }
    this.lifecycle = "stopping";
    try {
      await this.onStop();
    } finally {
      this.lifecycle = "stopped";
    }
  }

  async check(): Promise<void> {
    this.lastCheck = new Date().toISOString();
    if (this.lifecycle !== "running") return;
    try {
      await this.onCheck();
      this.errors = [];
    } catch (error) {
      this.recordError(error);
    }
  }

  status(): ManagerStatus {
    return { state: this.lifecycle, lastCheck: this.lastCheck, errors: [...this.errors] };
  }

  protected recordError(error: unknown): void {
    this.errors.push(error instanceof Error ? error.message : String(error));
    if (this.errors.length > MAX_ERRORS) this.errors.shift();
  }
}
