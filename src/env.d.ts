// Secrets and optional settings. They are not in wrangler.jsonc, so `wrangler types` does not
// see them; this declaration merges into the generated `Env` (worker-configuration.d.ts).
interface Env {
  /** Bearer token for the developer-facing API. */
  ADMIN_TOKEN?: string;
  /** Shared secret Opentact sends as `?token=` on platform-facing webhooks. */
  WEBHOOK_TOKEN?: string;
  /** Read-only token for WebSocket event subscribers. */
  EVENTS_TOKEN?: string;
  /** The document served when a flow cannot be rendered. */
  FALLBACK_XML?: string;
  /** Time budget for the webhook's lookup and render before the fallback is served (ms; default 2500). */
  CALLFLOW_BUDGET_MS?: string;
  /** How long an isolate reuses a TN pointer it read from KV (ms; default 5000; 0 = always read). */
  FLOW_POINTER_MEMO_MS?: string;
  /** Base URL of the platform's Call Control API, for parked calls (src/platform/CallControl.ts). */
  PLATFORM_API_URL?: string;
  /** Sent as `X-Auth-Token` to the Call Control API. */
  PLATFORM_API_TOKEN?: string;
  /** A call object cleans itself up this long after it started, ended or not (ms; default 4 h). */
  MAX_CALL_MS?: string;
  /** How long an ended call's state stays readable before the object deletes it (ms; default 10 min). */
  CALL_RETENTION_MS?: string;
  /**
   * Standard Webhooks secret(s), `whsec_…`, space-separated while one is rotated (newest first):
   * every request tactflow sends is signed with each (`v1`), and inbound requests signed with any
   * of them are accepted instead of a token (src/http/signatures.ts).
   */
  WEBHOOK_SIGNING_SECRET?: string;
  /** Optional Ed25519 private key, `whsk_…`: adds a `v1a` signature; its public key is served at /v1/webhooks/signing-key. */
  WEBHOOK_SIGNING_KEY?: string;
  /** Ed25519 public keys, `whpk_…`, whose `v1a` signatures inbound requests may carry instead of a token. */
  WEBHOOK_VERIFY_KEYS?: string;
  /**
   * `1` runs routes whose secret is not configured open (development only). Without it a missing
   * WEBHOOK_TOKEN refuses the platform-facing routes (the call-flow webhook answers the fallback).
   */
  INSECURE_DEV_MODE?: string;
  /** Optional source-address allow-list for platform-facing routes: addresses and CIDR ranges, comma-separated. */
  WEBHOOK_ALLOWED_IPS?: string;
  /** Origins allowed to call the developer-facing API from a browser (comma-separated; `*` for any); unset: none. */
  CORS_ALLOWED_ORIGINS?: string;
  /** Public origin for URLs the platform calls back (e.g. https://flows.example.com); default: the request's. */
  PUBLIC_URL?: string;
  /** `off`: no per-number insights are counted (the webhook notes no renders, calls report no paths). Default on. */
  INSIGHTS_COUNTING?: string;
  /** After a call ends, how long before its path is reported to insights, for late platform events (ms; default 2000). */
  INSIGHTS_SETTLE_MS?: string;
  /** How long the webhook gathers its render counts before sending them to insights in one batch (ms; default 1000). */
  INSIGHTS_FLUSH_MS?: string;
}
