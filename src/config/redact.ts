/** Redaction of secrets for display (`config show`, the API) and logs. */
import { SECRET_PATHS } from "./schema.js";

export const REDACTED = "[redacted]";

/** Names that look secret wherever they appear (keys of objects, header names). */
const SECRET_NAME = /(api[-_]?key|secret|token|password|passwd|authorization|credential)/i;

/** True when the dotted key or its last segment names a secret. */
export function isSecretKey(key: string): boolean {
  if (SECRET_PATHS.has(key)) return true;
  const last = key.split(".").pop() ?? key;
  return SECRET_NAME.test(last);
}

/**
 * Redact one value: URLs keep scheme, host and path but lose their credentials
 * (`redis://:pw@host` becomes `redis://[redacted]@host`); other secrets are replaced whole.
 */
export function redactValue(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const stripped = redactUrl(value);
    if (stripped !== value || !isSecretKey(key) || key.endsWith(".url")) return stripped;
  }
  return isSecretKey(key) ? REDACTED : value;
}

/** Remove user info from a URL. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${REDACTED}@`);
}

/** Deep copy with every secret redacted. */
export function redactConfig<T>(value: T, prefix = ""): T {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return redactValue(prefix, value) as T;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    out[name] =
      child !== null && typeof child === "object" && !Array.isArray(child)
        ? redactConfig(child, key)
        : redactValue(key, child);
  }
  return out as T;
}

/** The secret strings in a config, so log output can be scrubbed of them wherever they appear. */
export function secretValues(config: unknown, prefix = ""): string[] {
  const found: string[] = [];
  if (config === null || typeof config !== "object") return found;
  for (const [name, child] of Object.entries(config as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (child !== null && typeof child === "object") found.push(...secretValues(child, key));
    else if (typeof child === "string" && isSecretKey(key)) {
      const password = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@/]+)@/i.exec(child)?.[1];
      if (key.endsWith(".url")) {
        if (password) found.push(password);
      } else found.push(child);
    }
  }
  return found.filter((s) => s.length >= 4);
}
