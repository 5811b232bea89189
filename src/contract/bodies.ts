/**
 * Request bodies validated at the HTTP boundary that the OpenAPI document describes. Pure zod
 * (no Worker imports), so scripts/request-schemas.ts can turn them into JSON Schema at build time
 * and the Worker doesn't carry zod's JSON Schema generator (docs/deploy.md, bundle budget).
 */
import * as z from "../zod.ts";

/** The JSON form of a commands body: the XML in one field (the other form is the XML itself). */
export const CommandsJsonBodySchema = z.object({ xml: z.string() });

/** `POST /v1/phone/tokens`: the number the web console's phone will call, and optionally the call's uuid. */
export const PhoneTokenBodySchema = z.strictObject({
  tn: z.string().check(z.describe("The number to call, any spelling: `+1 800 555 0100`")),
  call: z.optional(z.string().check(z.describe("The call's uuid (letters, digits, - and _); default a fresh uuid"))),
});

export const CreateKeyBodySchema = z.object({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100), z.describe("What the key is for, e.g. `ci-publish`")),
  grants: z
    .array(z.string().check(z.maxLength(200)))
    .check(
      z.minLength(1),
      z.maxLength(20),
      z.describe("Scopes, each optionally limited to TN patterns: `flows:read`, `flows:write@1800555*,1900*`"),
    ),
});
