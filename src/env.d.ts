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
  /** Public origin for URLs the platform calls back (e.g. https://flows.example.com); default: the request's. */
  PUBLIC_URL?: string;
}
