/**
 * The source extractors other than plans, in the order the pipeline tries them. The lead
 * engineer's plan extractor (`plans.ts`) joins this list in the pipeline core.
 */
import type { SourceExtractor } from "../records.js";
import { dependencyExtractor } from "./dependencies.js";
import { schemaExtractor } from "./schemas.js";
import { securityPolicyExtractor } from "./security-policies.js";

export { dependencyExtractor, schemaExtractor, securityPolicyExtractor };

/** Dependency manifests, schemas and security policies. */
export const otherExtractors: SourceExtractor[] = [
  dependencyExtractor,
  schemaExtractor,
  securityPolicyExtractor,
];
