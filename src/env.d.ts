// Secrets and optional settings. They are not in wrangler.toml, so `wrangler types` does not
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
}
