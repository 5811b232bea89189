/**
 * Writing to the audit log from a route: who (the request's principal), what, which TN, the
 * versions before and after. Awaited, so the entry is there when the answer is; a failed write
 * is logged loudly but does not undo the change it describes (which has already happened).
 */
import { describeError, log } from "../log.ts";
import { ACCESS_NAME } from "./AccessStore.ts";
import type { AuditInput } from "./auditTable.ts";

export async function recordAudit(env: Env, entry: AuditInput): Promise<void> {
  try {
    await env.ACCESS.getByName(ACCESS_NAME).record(entry);
  } catch (err) {
    log("error", "audit entry not written", {
      action: entry.action,
      actor: entry.actor,
      tn: entry.tn ?? undefined,
      error: describeError(err),
    });
  }
}
