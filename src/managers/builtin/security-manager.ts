import { join } from "node:path";
import { ApiKeyStore } from "../api-keys.js";
import { BaseManager } from "../base.js";
import type { ManagerContext } from "../types.js";

/** API keys (hashed, scoped) and the audit log, in `<dataDir>/service.db`. */
export class SecurityManager extends BaseManager {
  readonly name = "security";
  readonly dependsOn = ["config"] as const;
  private store: ApiKeyStore | undefined;

  constructor(private readonly path?: string) {
    super();
    this.actions = {
      "list-keys": {
        description: "API keys (ids, scopes, dates; never the keys)",
        scope: "admin",
        input: { type: "object", properties: {}, additionalProperties: false },
        run: async () => this.keys.list(),
      },
      "revoke-key": {
        description: "Revoke an API key by id",
        scope: "admin",
        input: {
          type: "object",
          properties: { id: { type: "string", pattern: "^[0-9a-f]{12}$" } },
          required: ["id"],
          additionalProperties: false,
        },
        run: async (input: { id: string }) => {
          const revoked = this.keys.revoke(input.id);
          if (revoked)
            this.context?.bus.publish("security.key", { id: input.id, action: "revoked", scopes: [] });
          return { revoked };
        },
      },
      audit: {
        description: "The newest audit log entries",
        scope: "admin",
        input: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          additionalProperties: false,
        },
        run: async (input: { limit?: number }) => this.keys.auditLog(input.limit ?? 100),
      },
    };
  }

  get keys(): ApiKeyStore {
    if (!this.store) throw new Error("security is not started");
    return this.store;
  }

  protected async onStart(context: ManagerContext): Promise<void> {
    this.store = ApiKeyStore.open(this.path ?? join(context.config.dataDir, "service.db"), "once-per-turn");
  }

  protected override async onStop(): Promise<void> {
    this.store?.close();
    this.store = undefined;
  }

  protected override async onCheck(): Promise<void> {
    this.keys.list();
  }

  metrics(): Record<string, number> {
    const keys = this.store?.list() ?? [];
    return { activeKeys: keys.filter((k) => !k.revokedAt).length };
  }
}
