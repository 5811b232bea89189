/**
 * `tactflow keys …` and `tactflow audit`: scoped API keys and the audit log (docs/deploy.md).
 *
 *   tactflow keys create NAME GRANT… [--json]   grants: flows:read, flows:write@1800555*, …
 *   tactflow keys list [--json]
 *   tactflow keys revoke ID [--json]
 *   tactflow audit [--tn TN] [--limit N] [--before SEQ] [--json]
 *
 * Exit codes as every command: 0 done, 1 refused, 2 usage, 3 unreachable (cli/api.ts).
 */
import type { Command } from "commander";
import { action, adminRequest, type Conn, table, usage } from "./api.ts";

interface KeyRecord {
  id: string;
  name: string;
  grants: string[];
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  tn: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
}

const conn = (cmd: Command) =>
  cmd
    .option("--url <url>", "tactflow base URL (default: $TACTFLOW_URL, else where npm start serves)")
    .option("--token <token>", "admin token or a keys:admin API key (default: $TACTFLOW_ADMIN_TOKEN, else .dev.vars)")
    .option("--json", "print JSON (a problem document on failure)");

const short = (v: string | null) => (v ? v.slice(0, 12) : "-");

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("scoped API keys: create (the secret is shown once), list, revoke");

  conn(keys.command("create"))
    .description("create a key with GRANTs (scope, or scope@pattern,… e.g. flows:read@1800555*)")
    .argument("<name>", "what the key is for")
    .argument("<grants...>", `flows:read, flows:write, calls:control, events:read, audit:read, keys:admin`)
    .action(
      action(async (name: string, grants: string[], opts: Conn) => {
        const res = await adminRequest<{ key: KeyRecord; secret: string }>(opts, "POST", "/v1/keys", { name, grants });
        if (opts.json) return void process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
        process.stdout.write(`${res.secret}\n`);
        process.stderr.write(`key ${res.key.id} (${res.key.grants.join(" ")}): the secret above is shown this once; store it now\n`);
      }),
    );

  conn(keys.command("list"))
    .description("every key, newest first (never a secret)")
    .action(
      action(async (opts: Conn) => {
        const res = await adminRequest<{ keys: KeyRecord[] }>(opts, "GET", "/v1/keys");
        if (opts.json) return void process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
        if (res.keys.length === 0) return void process.stdout.write("no keys\n");
        const rows = [["ID", "NAME", "CREATED", "LAST USED", "REVOKED", "GRANTS"]];
        for (const k of res.keys)
          rows.push([
            k.id,
            k.name,
            k.created_at.slice(0, 19),
            k.last_used_at?.slice(0, 19) ?? "-",
            k.revoked_at?.slice(0, 19) ?? "-",
            k.grants.join(" "),
          ]);
        process.stdout.write(`${table(rows)}\n`);
      }),
    );

  conn(keys.command("revoke"))
    .description("revoke a key: refused from its next request on")
    .argument("<id>", "the key id (tactflow keys list)")
    .action(
      action(async (id: string, opts: Conn) => {
        const res = await adminRequest<{ key: KeyRecord }>(opts, "DELETE", `/v1/keys/${encodeURIComponent(id)}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
        process.stdout.write(`revoked ${res.key.id} (${res.key.name})\n`);
      }),
    );

  conn(program.command("audit"))
    .description("who published, rolled back or deleted which flow, and who changed which key; newest first")
    .option("--tn <tn>", "only this number")
    .option("--limit <n>", "entries (1-1000)", "50")
    .option("--before <seq>", "entries older than this (the previous page's next)")
    .action(
      action(async (opts: Conn & { tn?: string; limit: string; before?: string }) => {
        if (!/^\d+$/.test(opts.limit)) throw usage(`--limit ${opts.limit}: a number from 1 to 1000`);
        const q = new URLSearchParams({ limit: opts.limit });
        if (opts.tn) q.set("tn", opts.tn);
        if (opts.before) q.set("before", opts.before);
        const res = await adminRequest<{ entries: AuditEntry[]; next?: number }>(opts, "GET", `/v1/audit?${q}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
        if (res.entries.length === 0) return void process.stdout.write("no entries\n");
        const rows = [["SEQ", "WHEN", "WHO", "WHAT", "TN", "BEFORE", "AFTER"]];
        for (const e of res.entries)
          rows.push([String(e.seq), e.at.slice(0, 19), e.actor, e.action, e.tn ?? "-", short(e.before), short(e.after)]);
        process.stdout.write(`${table(rows)}\n`);
        if (res.next) process.stderr.write(`more: tactflow audit --before ${res.next}\n`);
      }),
    );
}
