/**
 * The account's access store: API keys, the audit log and the Standard Webhooks ids already
 * seen, in one SQLite Durable Object (`env.ACCESS.getByName(ACCESS_NAME)`).
 *
 * One object because each of these needs one order: a revoked key must be refused by the very
 * next request anywhere (KV's eventual consistency would let it in for up to a minute), the audit
 * log is read newest first and a key change is recorded in the same transaction as the change,
 * and a replayed webhook id must be caught wherever it arrives. All three are admin-side and low
 * volume, far below one object's throughput (the Durable Objects docs' soft limit is ~1,000
 * requests/s); the call path never touches it.
 */
import { DurableObject } from "cloudflare:workers";
import { type AuditEntry, type AuditInput, type AuditQuery, AuditTable } from "./auditTable.ts";
import { type KeyRecord, KeyTable } from "./keyTable.ts";
import type { Grant } from "./scopes.ts";

export const ACCESS_NAME = "account";

/**
 * How long a webhook id is remembered: longer than the signature tolerance on both sides
 * (5 minutes early or late), so any request whose timestamp still passes has its id on file.
 */
export const WEBHOOK_ID_TTL_MS = 11 * 60 * 1000;

export class AccessStore extends DurableObject<Env> {
  readonly #keys: KeyTable;
  readonly #audit: AuditTable;
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#keys = new KeyTable(this.#sql);
    this.#audit = new AuditTable(this.#sql);
    this.#sql.exec("CREATE TABLE IF NOT EXISTS webhook_ids (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
  }

  async createKey(name: string, grants: Grant[], actor: string): Promise<{ record: KeyRecord; secret: string }> {
    const created = await this.#keys.create(name, grants, actor);
    this.#audit.append({ actor, action: "key.create", after: created.record.id, detail: `${name}: ${created.record.grants.join(" ")}` });
    return created;
  }

  async listKeys(): Promise<KeyRecord[]> {
    return this.#keys.list();
  }

  async revokeKey(id: string, actor: string): Promise<KeyRecord | null> {
    const before = this.#keys.get(id);
    if (!before) return null;
    const after = this.#keys.revoke(id);
    if (before.revoked_at === null) this.#audit.append({ actor, action: "key.revoke", before: id, detail: before.name });
    return after;
  }

  async authenticate(secret: string): Promise<{ id: string; grants: Grant[] } | null> {
    return this.#keys.authenticate(secret);
  }

  async record(entry: AuditInput): Promise<number> {
    return this.#audit.append(entry);
  }

  async audit(query: AuditQuery): Promise<{ entries: AuditEntry[]; next?: number }> {
    return this.#audit.list(query);
  }

  /** True the first time `id` is claimed within {@link WEBHOOK_ID_TTL_MS}; false for a replay. */
  async claimWebhookId(id: string, now = Date.now()): Promise<boolean> {
    this.#sql.exec("DELETE FROM webhook_ids WHERE expires_at <= ?", now);
    const seen = this.#sql.exec("SELECT 1 FROM webhook_ids WHERE id = ?", id).toArray().length > 0;
    if (seen) return false;
    this.#sql.exec("INSERT INTO webhook_ids (id, expires_at) VALUES (?, ?)", id, now + WEBHOOK_ID_TTL_MS);
    return true;
  }
}
