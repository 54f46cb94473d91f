export { decodePlanBytes } from "./decode.js";
export { type LintFinding, lintPlan } from "./lint.js";
export { findMojibake, repairMojibake } from "./mojibake.js";
export { markdownLineToPlain } from "./plain-line.js";
export { parsePlan } from "./plan-parser.js";
export {
  computeProgress,
  type PhaseProgress,
  type PlanProgress,
  type ProgressCheck,
  tally,
} from "./progress.js";
export { type ParsedPlanFile, parsePlanFile, readPlanBytes } from "./read-plan.js";
export type * from "./types.js";
