/**
 * The one configuration schema of the service (`planvec serve` and friends). Every value has a
 * default here; the YAML file, the environment and CLI flags override it in that order
 * (see load.ts). Sections other areas read themselves (`embedding`, `markdown`) are accepted
 * as they are and validated by their owners.
 */
import { z } from "zod";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export const ENVIRONMENTS = ["development", "production", "test"] as const;

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().min(1);

export const configSchema = z
  .object({
    /** `ENV`: production switches logs to JSON. */
    env: z.enum(ENVIRONMENTS).default("development"),
    logLevel: z.enum(LOG_LEVELS).default("info"),
    /** Where the service keeps its own files (API keys, persisted events). */
    dataDir: z.string().min(1).default(".planvec"),
    store: z
      .object({
        /** `embedded:PATH` or `qdrant:URL` (same syntax as `--store`). */
        spec: z
          .string()
          .regex(/^(embedded|qdrant):/, "a store spec: embedded:PATH or qdrant:URL")
          .default("embedded:./.planvec"),
      })
      .strict()
      .default({ spec: "embedded:./.planvec" }),
    qdrant: z
      .object({
        url: z.url().optional(),
        host: z.string().min(1).optional(),
        port: port.optional(),
        apiKey: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    redis: z.object({ url: z.url().optional() }).strict().default({}),
    embedding: z
      .object({
        /** Load the model at start (vector and text search need it). */
        enabled: z.boolean().default(true),
        batchSize: positiveInt.max(4096).default(32),
      })
      .loose()
      .default({ enabled: true, batchSize: 32 }),
    migration: z
      .object({ pythonDataPath: z.string().min(1).optional() })
      .strict()
      .default({}),
    markdown: z.object({}).loose().default({}),
    server: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: port.default(8080),
        /** Largest request body (bytes). 1 MiB fits a 4k-dim vector search many times over. */
        bodyLimitBytes: positiveInt.default(1024 * 1024),
        /** Requests per key (or per client IP without a key) per window. */
        rateLimitMax: positiveInt.default(6000),
        rateLimitWindowMs: positiveInt.default(60_000),
        /** Serve `/docs` and `/openapi.json` without a key. */
        docsPublic: z.boolean().default(true),
        /** Serve `/metrics` without a key (else the `read` scope is needed). */
        metricsPublic: z.boolean().default(false),
        /** How long shutdown waits for in-flight requests and jobs. */
        shutdownTimeoutMs: positiveInt.default(10_000),
      })
      .strict()
      .default({
        host: "127.0.0.1",
        port: 8080,
        bodyLimitBytes: 1024 * 1024,
        rateLimitMax: 6000,
        rateLimitWindowMs: 60_000,
        docsPublic: true,
        metricsPublic: false,
        shutdownTimeoutMs: 10_000,
      }),
    events: z
      .object({
        /** Per-subscriber queue bound; beyond it the oldest queued event is dropped. */
        queueSize: positiveInt.max(1_000_000).default(1000),
      })
      .strict()
      .default({ queueSize: 1000 }),
  })
  .strict();

export type PlanvecConfig = z.infer<typeof configSchema>;

/** Dotted paths whose values are secrets: redacted in `config show`, in the API and in logs. */
export const SECRET_PATHS: ReadonlySet<string> = new Set(["qdrant.apiKey", "redis.url"]);
