/**
 * The CallControl client: how tactflow drives a parked call on the platform (docs/opentact.md §c).
 *
 * Opentact's Call Control API is not documented (docs/opentact.md §c: "the command set … is not documented
 * in any page we could reach"), so the wire format is ours, modelled on its REST conventions
 * (`X-Auth-Token`, `{success, payload}` replies). The simulator serves the receiving side.
 *
 *   POST {PLATFORM_API_URL}/calls/{uuid}/commands
 *     Content-Type: application/xml; body: a <Response> holding the commands to run now
 *   POST {PLATFORM_API_URL}/calls/{uuid}/hangup
 *     Content-Type: application/json; body: {"q850_cause":102,"q850_cause_string":"…","reason":"…"}
 *
 * Both carry `X-Auth-Token: {PLATFORM_API_TOKEN}` and an `Idempotency-Key` that is the same on
 * every retry of one delivery, so a platform that saw it once can ignore the repeat
 * (duplicate side effects on retried webhooks are a common complaint). Any 2xx is success; a JSON body with `success: false` is not.
 *
 * With `WEBHOOK_SIGNING_SECRET` (or `WEBHOOK_SIGNING_KEY`) set, each request is also signed the
 * Standard Webhooks way (src/http/signatures.ts): `webhook-id` is the Idempotency-Key, so it too
 * is the same on every retry, and `webhook-timestamp`/`webhook-signature` are made fresh for each
 * try. A signing secret that can't be read fails the delivery rather than send it unsigned.
 */
import { type SigningKeys, signingKeysFromEnv, signWebhook } from "../http/signatures.ts";

export interface HangupCause {
  q850_cause: number;
  q850_cause_string: string;
  reason: string;
}

/** q850 102 RECOVERY_ON_TIMER_EXPIRE: the cause docs/opentact.md §c suggests for a park timeout. */
export const PARK_TIMEOUT_CAUSE = { q850_cause: 102, q850_cause_string: "RECOVERY_ON_TIMER_EXPIRE" } as const;

export type DeliveryResult =
  | { ok: true; status: number }
  /** `retryable`: worth trying again later (network, 5xx, 429); otherwise give up. */
  | { ok: false; status?: number; error: string; retryable: boolean };

export interface CallControlOptions {
  baseUrl: string | undefined;
  token: string | undefined;
  /** Per request; the object's alarm must not hang on a slow platform. Default 5 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The Standard Webhooks keys to sign with; none: unsigned. */
  signing?: () => Promise<SigningKeys | null>;
}

export class CallControl {
  readonly #base: string | undefined;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #signing: (() => Promise<SigningKeys | null>) | undefined;

  constructor(opts: CallControlOptions) {
    this.#base = opts.baseUrl?.trim().replace(/\/+$/, "") || undefined;
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.#signing = opts.signing;
  }

  static fromEnv(env: Env): CallControl {
    return new CallControl({ baseUrl: env.PLATFORM_API_URL, token: env.PLATFORM_API_TOKEN, signing: () => signingKeysFromEnv(env) });
  }

  /** Whether a platform API is configured at all. */
  get configured(): boolean {
    return this.#base !== undefined;
  }

  /** Send a `<Response>` of commands for the platform to run on the call now. */
  sendCommands(call: string, xml: string, idempotencyKey: string): Promise<DeliveryResult> {
    return this.#post(call, "commands", "application/xml; charset=utf-8", xml, idempotencyKey);
  }

  /** End the call with a cause. */
  hangup(call: string, cause: HangupCause, idempotencyKey: string): Promise<DeliveryResult> {
    return this.#post(call, "hangup", "application/json", JSON.stringify(cause), idempotencyKey);
  }

  async #post(call: string, action: string, contentType: string, body: string, idempotencyKey: string): Promise<DeliveryResult> {
    if (!this.#base) return { ok: false, error: "PLATFORM_API_URL is not set: no platform to deliver to", retryable: false };
    const headers: Record<string, string> = { "content-type": contentType, "idempotency-key": idempotencyKey, accept: "application/json" };
    if (this.#token) headers["x-auth-token"] = this.#token;
    try {
      const keys = await this.#signing?.();
      if (keys && (keys.hmac.length > 0 || keys.ed25519)) Object.assign(headers, await signWebhook(keys, idempotencyKey, body));
    } catch (err) {
      return { ok: false, error: `cannot sign the request: ${err instanceof Error ? err.message : String(err)}`, retryable: false };
    }
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}/calls/${encodeURIComponent(call)}/${action}`, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      return { ok: false, error: `platform unreachable: ${err instanceof Error ? err.message : String(err)}`, retryable: true };
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) {
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      return { ok: false, status: res.status, error: `platform answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`, retryable };
    }
    // Opentact's REST replies say `{success: false, message}` with a 200 (docs/opentact.md §c conventions).
    if (text.startsWith("{")) {
      try {
        const parsed = JSON.parse(text) as { success?: unknown; message?: unknown };
        if (parsed.success === false) {
          return {
            ok: false,
            status: res.status,
            error: `platform refused: ${typeof parsed.message === "string" ? parsed.message : text.slice(0, 200)}`,
            retryable: false,
          };
        }
      } catch {
        // Not JSON after all: a 2xx is enough.
      }
    }
    return { ok: true, status: res.status };
  }
}
