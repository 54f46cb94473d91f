/** Service configuration: schema, loading with precedence and sources, redaction. */
export {
  ConfigError,
  type ConfigProblem,
  type ConfigSource,
  ENV_VARIABLES,
  getPath,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
} from "./load.js";
export { isSecretKey, REDACTED, redactConfig, redactUrl, redactValue, secretValues } from "./redact.js";
export { configSchema, ENVIRONMENTS, LOG_LEVELS, type PlanvecConfig, SECRET_PATHS } from "./schema.js";
