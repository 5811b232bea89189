/**
 * A Standard Webhooks signature instead of a token, for the routes a customer's backend calls
 * (`POST /v1/calls/{call}/commands`, `POST /v1/webhooks/events`): `signatureOr(tokenCheck)`.
 *
 * A request carrying any `webhook-*` header is judged by its signature alone (src/http/signatures.ts):
 * a body changed after signing, a timestamp more than 5 minutes off, or an id already seen is
 * refused (401, 401, 409). Ids are remembered in the access store's SQLite for 11 minutes, longer
 * than a timestamp can pass the tolerance either side, so every replay that could still verify is
 * caught, wherever it arrives (src/access/AccessStore.ts). Without `webhook-*` headers the
 * route's token check runs as before.
 */
import type { MiddlewareHandler } from "hono";
import { ACCESS_NAME } from "../access/AccessStore.ts";
import type { Scope } from "../access/scopes.ts";
import { clip, log } from "../log.ts";
import type { AccessEnv } from "./access.ts";
import { readTextLimited } from "./body.ts";
import { ProblemError } from "./problem.ts";
import { hasWebhookSignature, SigningConfigError, signingKeysFromEnv, verifyWebhook } from "./signatures.ts";

export interface SignatureOptions {
  /** What a valid signature grants, for the route's later checks; none: the route checks nothing more. */
  scope?: Scope;
  /** The route's own body limit. */
  maxBytes: number;
}

export function signatureOr(tokenCheck: MiddlewareHandler<AccessEnv>, opts: SignatureOptions): MiddlewareHandler<AccessEnv> {
  return async (c, next) => {
    const headers = c.req.raw.headers;
    if (!hasWebhookSignature(headers)) return tokenCheck(c, next);
    let keys: Awaited<ReturnType<typeof signingKeysFromEnv>>;
    try {
      keys = await signingKeysFromEnv(c.env);
    } catch (err) {
      log("error", "signing keys unusable", { error: err instanceof SigningConfigError ? err.message : String(err) });
      throw new ProblemError(503, "Not configured", "The signing secret configured on this server can't be read.", {
        missing: ["WEBHOOK_SIGNING_SECRET"],
      });
    }
    if (!keys || (keys.hmac.length === 0 && keys.verifyKeys.length === 0))
      throw new ProblemError(
        503,
        "Not configured",
        "The request is signed, but no WEBHOOK_SIGNING_SECRET (or WEBHOOK_VERIFY_KEYS) is configured to check it.",
        { missing: ["WEBHOOK_SIGNING_SECRET"] },
      );
    // Read a copy: the route reads the body itself.
    const body = await readTextLimited(c.req.raw.clone(), opts.maxBytes);
    if (body === null) throw new ProblemError(413, "Body too large", `send at most ${opts.maxBytes} bytes`);
    const verdict = await verifyWebhook(keys, headers, body);
    if (!verdict.ok) {
      log("warn", "signed request refused", { reason: verdict.reason, path: clip(new URL(c.req.url).pathname, 200) });
      throw new ProblemError(401, "Invalid signature", verdict.detail, { reason: verdict.reason });
    }
    if (!(await c.env.ACCESS.getByName(ACCESS_NAME).claimWebhookId(verdict.id))) {
      log("warn", "signed request refused: replayed webhook-id", { id: clip(verdict.id, 64) });
      throw new ProblemError(
        409,
        "Replayed webhook",
        `webhook-id ${clip(verdict.id, 64)} was already received; a request is acted on once.`,
        {
          reason: "replayed",
        },
      );
    }
    c.set("principal", { kind: "key", id: `signed:${clip(verdict.id, 64)}`, grants: opts.scope ? [{ scope: opts.scope }] : [] });
    await next();
  };
}
