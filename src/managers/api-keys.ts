/**
 * API keys: `pvk_<id>_<secret>`, shown once at creation, stored as SHA-256(salt ‖ secret)
 * with a random per-key salt, compared with `timingSafeEqual`.
 *
 * Why SHA-256 and not scrypt: the secret is 256 random bits, so brute force over the hash is
 * hopeless either way, while scrypt (≈ 50 ms per check at default cost) would cap an API
 * gateway that verifies a key on every request at ~20 req/s per core.
 */

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";
import { PlanvecError } from "../core/errors.js";
import { type ChangeCheck, WalChangeDetector } from "../store/embedded/wal-watch.js";
import { SCOPES, type Scope } from "./types.js";

export class ApiKeyError extends PlanvecError {}

export interface ApiKeyInfo {
  id: string;
  name: string | null;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface CreatedApiKey {
  id: string;
  /** The full key: shown once, never stored. */
  key: string;
  scopes: Scope[];
}

interface Row {
  id: string;
  name: string | null;
  salt: Buffer;
  hash: Buffer;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

const KEY_PATTERN = /^pvk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const DUMMY_SALT = randomBytes(16);

/** True when `granted` scopes allow `needed` (admin ⊃ write ⊃ read). */
export function scopeAllows(granted: readonly Scope[], needed: Scope): boolean {
  const rank = SCOPES.indexOf(needed);
  return granted.some((scope) => SCOPES.indexOf(scope) >= rank);
}

export function parseScopes(values: readonly string[]): Scope[] {
  const bad = values.filter((v) => !(SCOPES as readonly string[]).includes(v));
  if (bad.length > 0 || values.length === 0) {
    throw new ApiKeyError(
      "parse scopes",
      "invalid_scope",
      `invalid scope ${bad.length > 0 ? bad.map((b) => JSON.stringify(b)).join(", ") : "(none given)"}; use one or more of: ${SCOPES.join(", ")}`,
    );
  }
  return [...new Set(values)] as Scope[];
}

export class ApiKeyStore {
  private readonly selectById: Database.Statement;
  /**
   * Key rows already read, kept while nothing has committed to the database since (by any
   * process: `planvec keys revoke` runs in another one). Checking the WAL header is one
   * pread; the query it spares cost ≈50 µs per request, 15 % of a search request's time.
   */
  private readonly rows = new Map<string, Row | undefined>();
  private readonly walWatch: WalChangeDetector | null;

  private constructor(
    private readonly db: Database.Database,
    path: string,
    changeCheck: ChangeCheck,
  ) {
    this.selectById = db.prepare("SELECT * FROM api_keys WHERE id = ?");
    this.walWatch = path === ":memory:" ? null : new WalChangeDetector(path, changeCheck);
  }

  /** The row of key `id`, from memory when the database has not changed since it was read. */
  private row(id: string): Row | undefined {
    if (!this.walWatch || this.walWatch.mayHaveChanged()) {
      this.rows.clear();
      // Before reading: a commit after this point shows as a changed header next time.
      this.walWatch?.remember();
    }
    if (this.rows.has(id)) return this.rows.get(id);
    const row = this.selectById.get(id) as Row | undefined;
    if (this.walWatch) {
      if (this.rows.size >= 10_000) this.rows.clear(); // unknown ids must not grow it without bound
      this.rows.set(id, row);
    }
    return row;
  }

  /**
   * Open (creating) the key database, e.g. `.planvec/service.db`. A server passes
   * "once-per-turn" (see wal-watch.ts): a key revoked by another process is refused from the
   * next request that arrives after the revocation.
   */
  static open(path: string, changeCheck: ChangeCheck = "every-call"): ApiKeyStore {
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("busy_timeout = 5000");
      db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
          id TEXT PRIMARY KEY, name TEXT, salt BLOB NOT NULL, hash BLOB NOT NULL, scopes TEXT NOT NULL,
          created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT);
        CREATE TABLE IF NOT EXISTS audit_log (
          seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key_id TEXT, action TEXT NOT NULL, detail TEXT);`);
      return new ApiKeyStore(db, path, changeCheck);
    } catch (error) {
      throw new ApiKeyError(
        "open key store",
        "key_store_unavailable",
        `cannot open the API key store at ${path}`,
        { cause: error },
      );
    }
  }

  create(scopes: readonly string[], name: string | null = null): CreatedApiKey {
    const parsed = parseScopes(scopes);
    const id = randomBytes(6).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const salt = randomBytes(16);
    this.db
      .prepare("INSERT INTO api_keys (id, name, salt, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(id, name, salt, hashSecret(salt, secret), JSON.stringify(parsed), new Date().toISOString());
    this.audit(id, "key.created", JSON.stringify({ scopes: parsed, name }));
    return { id, key: `pvk_${id}_${secret}`, scopes: parsed };
  }

  list(): ApiKeyInfo[] {
    const rows = this.db.prepare("SELECT * FROM api_keys ORDER BY created_at, id").all() as Row[];
    return rows.map(toInfo);
  }

  /** Revoke; returns false when there is no such key. */
  revoke(id: string): boolean {
    const result = this.db
      .prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
      .run(new Date().toISOString(), id);
    const changed = Number(result.changes) > 0;
    this.rows.clear();
    if (changed) this.audit(id, "key.revoked", null);
    return changed;
  }

  /** The key's info when `presented` is a valid, unrevoked key; null otherwise (same work either way). */
  verify(presented: string): ApiKeyInfo | null {
    const match = KEY_PATTERN.exec(presented);
    const row = match ? this.row(match[1] as string) : undefined;
    const expected = row ? Buffer.from(row.hash) : hashSecret(DUMMY_SALT, "");
    const actual = hashSecret(row ? Buffer.from(row.salt) : DUMMY_SALT, match?.[2] ?? presented);
    const equal = timingSafeEqual(actual, expected);
    if (!row || !match || !equal || row.revoked_at) return null;
    return toInfo(row);
  }

  /** Record who used a key (called at most once per key per minute by the gateway). */
  touch(id: string): void {
    this.db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(new Date().toISOString(), id);
  }

  audit(keyId: string | null, action: string, detail: string | null): void {
    this.db
      .prepare("INSERT INTO audit_log (at, key_id, action, detail) VALUES (?, ?, ?, ?)")
      .run(new Date().toISOString(), keyId, action, detail);
  }

  auditLog(limit = 100): { at: string; keyId: string | null; action: string; detail: string | null }[] {
    const rows = this.db
      .prepare("SELECT at, key_id, action, detail FROM audit_log ORDER BY seq DESC LIMIT ?")
      .all(limit) as { at: string; key_id: string | null; action: string; detail: string | null }[];
    return rows.map((r) => ({ at: r.at, keyId: r.key_id, action: r.action, detail: r.detail }));
  }

  close(): void {
    this.walWatch?.close();
    this.db.close();
  }
}

function hashSecret(salt: Buffer, secret: string): Buffer {
  return createHash("sha256").update(salt).update(secret, "utf8").digest();
}

function toInfo(row: Row): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
