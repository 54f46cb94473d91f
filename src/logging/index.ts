export { currentRequestId, runInRequest } from "./context.js";
export {
  createLogger,
  formatLines,
  type Logger,
  type LoggerOptions,
  type PlanvecLogger,
  REDACTED_LOG_PATHS,
  ScrubbingSink,
} from "./logger.js";
