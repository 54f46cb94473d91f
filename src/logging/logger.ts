/**
 * Structured logging (pino). JSON lines in production (`ENV=production`), a short readable
 * line otherwise. Secrets never reach the output: known secret fields are redacted by pino,
 * and every line is scrubbed of the configured secret values (API keys, passwords) wherever
 * they appear, including inside messages.
 */
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { currentRequestId } from "./context.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  level?: string;
  /** `production` gives JSON lines; anything else the readable format. */
  env?: string;
  /** Where lines go (default stderr, so stdout stays clean for command output). */
  destination?: NodeJS.WritableStream;
  /** Exact strings to mask wherever they appear (e.g. from `secretValues(config)`). */
  secrets?: Iterable<string>;
}

/** Object fields pino replaces with `[redacted]` before serialising. */
export const REDACTED_LOG_PATHS = [
  "apiKey",
  "key",
  "password",
  "token",
  "secret",
  "authorization",
  "*.apiKey",
  "*.key",
  "*.password",
  "*.token",
  "*.secret",
  "*.authorization",
  "req.headers.authorization",
  'req.headers["api-key"]',
  'req.headers["x-api-key"]',
  "req.headers.cookie",
];

/** A sink that masks registered secrets in each line, then formats it (or not) and writes it. */
export class ScrubbingSink extends Writable {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  constructor(
    private readonly target: NodeJS.WritableStream,
    private readonly pretty: boolean,
    secrets: Iterable<string> = [],
  ) {
    super();
    for (const secret of secrets) this.addSecret(secret);
  }

  /** Mask this string from now on (ignored below 4 characters, which would mask ordinary text). */
  addSecret(secret: string): void {
    if (secret.length < 4 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    const escaped = [...this.secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.pattern = new RegExp(escaped.join("|"), "g");
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    let text = chunk.toString();
    if (this.pattern) text = text.replace(this.pattern, "[redacted]");
    this.target.write(this.pretty ? formatLines(text) : text);
    done();
  }
}

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
const HIDDEN = new Set(["level", "time", "pid", "hostname", "msg", "v"]);

/** Turn pino JSON lines into `12:00:00.123 INFO  message key=value ...`. */
export function formatLines(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return `${line}\n`;
      }
      const time = typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 23) : "";
      const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).padEnd(5);
      const fields = Object.entries(record)
        .filter(([name]) => !HIDDEN.has(name))
        .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`);
      const message = typeof record.msg === "string" ? record.msg : "";
      return `${time} ${level} ${message}${fields.length > 0 ? ` ${fields.join(" ")}` : ""}\n`;
    })
    .join("");
}

export interface PlanvecLogger {
  logger: Logger;
  /** Mask a secret discovered at run time (e.g. a freshly created API key). */
  addSecret(secret: string): void;
}

/** Create the service logger. */
export function createLogger(options: LoggerOptions = {}): PlanvecLogger {
  const sink = new ScrubbingSink(
    options.destination ?? process.stderr,
    options.env !== "production",
    options.secrets,
  );
  const logger = pino(
    {
      level: options.level ?? "info",
      base: { pid: process.pid },
      redact: { paths: REDACTED_LOG_PATHS, censor: "[redacted]" },
      serializers: { err: pino.stdSerializers.err },
      // Lines written while serving a request carry its id, unless the logger already binds
      // one (the gateway's per-request loggers do).
      mixin: (_object, _level, logger) => {
        const reqId = currentRequestId();
        if (reqId === undefined || "reqId" in logger.bindings()) return {};
        return { reqId };
      },
    },
    sink,
  );
  return { logger, addSecret: (secret) => sink.addSecret(secret) };
}
