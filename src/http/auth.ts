/**
 * The primitives every token check shares. The checks themselves are one middleware per token
 * kind: `requireScope` (src/http/access.ts, developer-facing, `Authorization: Bearer` with
 * ADMIN_TOKEN or a scoped API key), `requireWebhookToken` (src/http/webhookAuth.ts,
 * platform-facing, `?token=`, because Opentact signs nothing: docs/opentact.md §a.2, e), and
 * `signatureOr` (src/http/signedRequest.ts, a Standard Webhooks signature instead of either).
 * WebSocket subscribers authenticate on the socket (src/events/protocol.ts), or with an API key
 * the Worker checks first (src/routes/events.ts).
 */

/**
 * Constant-time string comparison (length is not secret; content is). Compares UTF-16 code
 * units in plain JS: this runs on every webhook, and in workerd a TextEncoder call per side costs
 * more than the comparison.
 */
export function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m?.[1]?.trim();
}
