import type { LoadedConfig } from "../../config/load.js";
import { getPath } from "../../config/load.js";
import { redactConfig, redactValue } from "../../config/redact.js";
import { BaseManager } from "../base.js";

/** Holds the effective configuration; serves it redacted. */
export class ConfigManager extends BaseManager {
  readonly name = "config";
  readonly dependsOn = [] as const;

  constructor(readonly loaded: LoadedConfig) {
    super();
    this.actions = {
      show: {
        description: "The effective configuration, secrets redacted, with the source of each value",
        scope: "admin",
        input: { type: "object", properties: {}, additionalProperties: false },
        run: async () => ({ config: redactConfig(this.loaded.config), sources: this.loaded.sources }),
      },
    };
  }

  protected async onStart(): Promise<void> {}

  /** One value by dotted key, redacted; undefined when the key does not exist. */
  value(key: string): { value: unknown; source: string } | undefined {
    const value = getPath(this.loaded.config, key);
    if (value === undefined) return undefined;
    const source = this.loaded.sources[key] ?? (typeof value === "object" ? "(section)" : "default");
    return {
      value: typeof value === "object" && value !== null ? redactConfig(value, key) : redactValue(key, value),
      source,
    };
  }
}
