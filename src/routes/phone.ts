/**
 * `POST /v1/phone/tokens` (`calls:control` for the number): a phone token for one call placed by
 * the web console's in-browser phone to a published number (src/http/phoneToken.ts). The
 * browser plays the platform for that call with it, so it never holds WEBHOOK_TOKEN.
 *
 * Body `{tn, call?}`; answer `{tn, call, token, expiresAt}`. On a development server whose
 * platform routes run open (no WEBHOOK_TOKEN, INSECURE_DEV_MODE=1) `token` is null: none is needed.
 */
import { Hono } from "hono";
import { allows } from "../access/scopes.ts";
import { isCallId } from "../call/id.ts";
import { PhoneTokenBodySchema } from "../contract/bodies.ts";
import requestSchemas from "../contract/request-schemas.json";
import { type AccessEnv, forbidden, principalOf, requireScope } from "../http/access.ts";
import { readTextLimited } from "../http/body.ts";
import type { Paths } from "../http/openapi.ts";
import { mintPhoneToken } from "../http/phoneToken.ts";
import { ProblemError } from "../http/problem.ts";
import { insecureDevMode } from "../http/webhookAuth.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";

export const phone = new Hono<AccessEnv>();

phone.post("/v1/phone/tokens", requireScope("calls:control"), async (c) => {
  const text = await readTextLimited(c.req.raw, 4096);
  if (text === null) throw new ProblemError(413, "Body too large", "a phone token request is at most 4 KiB");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProblemError(400, "Invalid JSON", 'send {"tn": "18005550100"}');
  }
  const body = PhoneTokenBodySchema.safeParse(raw);
  if (!body.success) {
    const errors = body.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
    throw new ProblemError(400, "Invalid request", `${errors[0]?.path}: ${errors[0]?.message}`, { errors });
  }
  const digits = normalizeTn(body.data.tn);
  if (!digits) throw new ProblemError(400, "Invalid request", `"${body.data.tn.slice(0, 40)}" is not a telephone number`);
  const tn = canonicalTn(digits);
  if (!allows(principalOf(c), "calls:control", tn)) throw forbidden("calls:control", tn);
  const call = body.data.call ?? crypto.randomUUID();
  if (!isCallId(call) || !/^[A-Za-z0-9_-]{1,64}$/.test(call))
    throw new ProblemError(400, "Invalid request", "call: letters, digits, - and _ only, at most 64");
  c.header("cache-control", "no-store");
  const secret = c.env.WEBHOOK_TOKEN;
  if (!secret) {
    if (insecureDevMode(c.env)) return c.json({ tn, call, token: null, expiresAt: null });
    throw new ProblemError(503, "Not configured", "The WEBHOOK_TOKEN secret is not set, so no phone token can be signed.", {
      missing: ["WEBHOOK_TOKEN"],
    });
  }
  const { token, claim } = await mintPhoneToken(secret, tn, call, Date.now());
  return c.json({ tn, call, token, expiresAt: new Date(claim.expiresAt).toISOString() });
});

// ---- OpenAPI (src/routes/openapi.ts assembles the document) -------------------------------------

export const phonePaths: Paths = {
  "/v1/phone/tokens": {
    post: {
      summary: "A phone token: one call to one number from the web console's browser phone, through the platform-facing routes",
      description:
        "The token works as the ?token= of /v1/callflow for a call to `tn` with uuid `call`, of that call's Gather URLs and of events about that call posted to /v1/webhooks/events, for an hour. It is signed with a key derived from WEBHOOK_TOKEN; rotating WEBHOOK_TOKEN revokes every phone token.",
      requestBody: { required: true, content: { "application/json": { schema: requestSchemas.PhoneTokenBody } } },
      responses: {
        "200": {
          description: "The token (null on a development server whose platform routes run open)",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["tn", "call", "token", "expiresAt"],
                properties: {
                  tn: { type: "string" },
                  call: { type: "string" },
                  token: { type: ["string", "null"] },
                  expiresAt: { type: ["string", "null"], format: "date-time" },
                },
              },
            },
          },
        },
        "400": { description: "Not a number, or not a call id" },
        "503": { description: "WEBHOOK_TOKEN is not configured" },
      },
    },
  },
};
