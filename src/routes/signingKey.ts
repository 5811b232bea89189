/**
 * `GET /v1/webhooks/signing-key`: the Ed25519 public key (`whpk_…`) receivers check tactflow's
 * `v1a` signatures with, when WEBHOOK_SIGNING_KEY is set. Public by nature, so unauthenticated.
 */
import { Hono } from "hono";
import type { Paths } from "../http/openapi.ts";
import { ProblemError } from "../http/problem.ts";
import { signingKeysFromEnv } from "../http/signatures.ts";

export const signingKey = new Hono<{ Bindings: Env }>();

signingKey.get("/v1/webhooks/signing-key", async (c) => {
  const keys = await signingKeysFromEnv(c.env).catch(() => null);
  if (!keys?.ed25519)
    throw new ProblemError(404, "No signing key", "WEBHOOK_SIGNING_KEY is not set: requests are signed with v1 (HMAC) only, if at all.");
  c.header("cache-control", "public, max-age=300");
  return c.json({ keys: [{ alg: "Ed25519", version: "v1a", public_key: keys.ed25519.publicKey }] });
});

/** The public key route in the OpenAPI document (src/routes/openapi.ts). */
export const signingKeyPaths: Paths = {
  "/v1/webhooks/signing-key": {
    get: {
      summary: "The public key of tactflow's v1a (Ed25519) webhook signatures",
      responses: {
        "200": {
          description: "The key, as the Standard Webhooks whpk_ form",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["keys"],
                properties: {
                  keys: {
                    type: "array",
                    items: {
                      type: "object",
                      required: ["alg", "version", "public_key"],
                      properties: {
                        alg: { type: "string", const: "Ed25519" },
                        version: { type: "string", const: "v1a" },
                        public_key: { type: "string" },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        "404": { description: "No WEBHOOK_SIGNING_KEY is configured" },
      },
    },
  },
};
