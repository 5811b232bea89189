/**
 * API keys in the access store's SQLite: created with a secret shown once, kept as its SHA-256,
 * revoked by id. A key's secret is `tfk_<id>_<random>`: the id finds the row, the hash proves the
 * rest (256 random bits, so a fast hash is enough; nothing to stretch).
 */
import { type Grant, formatGrant, parseGrant } from "./scopes.ts";

export interface KeyRecord {
  id: string;
  name: string;
  grants: string[];
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

interface KeyRow {
  id: string;
  name: string;
  hash: string;
  grants: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
  [column: string]: SqlStorageValue;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toRecord(r: KeyRow): KeyRecord {
  return {
    id: r.id,
    name: r.name,
    grants: JSON.parse(r.grants) as string[],
    created_at: iso(r.created_at)!,
    created_by: r.created_by,
    revoked_at: iso(r.revoked_at),
    last_used_at: iso(r.last_used_at),
  };
}

const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

function randomId(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The id inside a key secret, or null when the string is not shaped like one. */
export function keyIdOf(secret: string): string | null {
  const m = /^tfk_([a-z2-9]{12})_[A-Za-z0-9_-]{43}$/.exec(secret);
  return m ? m[1]! : null;
}

/** How often a key's `last_used_at` is written at most (a write per request would be wasteful). */
const LAST_USED_RESOLUTION_MS = 60_000;

export class KeyTable {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, grants TEXT NOT NULL,
      created_at INTEGER NOT NULL, created_by TEXT NOT NULL, revoked_at INTEGER, last_used_at INTEGER)`);
  }

  async create(name: string, grants: Grant[], createdBy: string, now = Date.now()): Promise<{ record: KeyRecord; secret: string }> {
    const id = randomId(12);
    const secret = `tfk_${id}_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
    const hash = await sha256Hex(secret);
    this.#sql.exec(
      "INSERT INTO api_keys (id, name, hash, grants, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      name,
      hash,
      JSON.stringify(grants.map(formatGrant)),
      now,
      createdBy,
    );
    return { record: this.get(id)!, secret };
  }

  get(id: string): KeyRecord | null {
    const row = this.#sql.exec<KeyRow>("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
    return row ? toRecord(row) : null;
  }

  list(): KeyRecord[] {
    return this.#sql.exec<KeyRow>("SELECT * FROM api_keys ORDER BY created_at DESC, id").toArray().map(toRecord);
  }

  /** Revoke; null when there is no such key. Revoking twice keeps the first time. */
  revoke(id: string, now = Date.now()): KeyRecord | null {
    this.#sql.exec("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", now, id);
    return this.get(id);
  }

  /** The grants of the live key `secret` proves, or null. */
  async authenticate(secret: string, now = Date.now()): Promise<{ id: string; grants: Grant[] } | null> {
    const id = keyIdOf(secret);
    if (!id) return null;
    const row = this.#sql.exec<KeyRow>("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
    if (!row || row.revoked_at !== null) return null;
    const hash = await sha256Hex(secret);
    // Both are hex digests of equal length; compare without an early exit.
    let diff = 0;
    for (let i = 0; i < hash.length; i++) diff |= hash.charCodeAt(i) ^ row.hash.charCodeAt(i);
    if (diff !== 0) return null;
    if (row.last_used_at === null || now - row.last_used_at > LAST_USED_RESOLUTION_MS)
      this.#sql.exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, id);
    const grants: Grant[] = [];
    for (const text of JSON.parse(row.grants) as string[]) {
      const g = parseGrant(text);
      if (!("error" in g)) grants.push(g);
    }
    return { id, grants };
  }
}
