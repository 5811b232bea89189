/**
 * A flow's metadata and the schemas that admit it. A flow is an XML template plus this; both go
 * into the version's content hash, so changing the mode or a variable is a new version.
 */
import * as z from "../zod.ts";
import { NAME_RE } from "../template/index.ts";
import { isTimeZone } from "../xml/index.ts";
import { CanarySchema } from "./canary.ts";

export const FLOW_MODES = ["sync", "async"] as const;
export const CONDITION_MODES = ["evaluate", "platform"] as const;

/** Largest accepted publish body (the XML, or the JSON carrying it). */
export const MAX_FLOW_BYTES = 256 * 1024;

const timezone = z
  .string()
  .check(z.trim(), z.minLength(1), z.refine(isTimeZone, { message: "expected an IANA time zone, e.g. America/New_York" }));

const variables = z
  .record(
    z.string().check(z.regex(NAME_RE, { message: "variable names are letters, digits, _ and -, starting with a letter or _" })),
    z.string().check(z.maxLength(4096, { message: "a variable value is at most 4096 characters" })),
  )
  .check(z.refine((v) => Object.keys(v).length <= 100, { message: "at most 100 variables" }));

/** A park deadline in milliseconds (docs/opentact.md §c, f.18). */
const parkTimeoutChecks = [z.int(), z.minimum(1000), z.maximum(600_000)] as const;

/** Options a publish may set; every one has a default. */
export const FlowOptionsSchema = z.object({
  /** `sync`: the webhook answers the rendered flow; `async`: the call is parked for commands. */
  mode: z._default(z.enum(FLOW_MODES), "sync"),
  /** Zone for `<Schedule>` blocks without `tz` (docs/opentact.md §f.12). */
  timezone: z._default(timezone, "UTC"),
  /** `{{vars.NAME}}` values. */
  variables: z._default(variables, {}),
  description: z._default(z.string().check(z.maxLength(1000)), ""),
  /** Park deadline for async mode (docs/opentact.md §c, f.18); absent → the deployment's PARK_TIMEOUT_MS. */
  parkTimeoutMs: z.optional(z.number().check(...parkTimeoutChecks)),
  /** Who evaluates `<Call>`, `<Schedule>` and `<Geo>`: tactflow at render time, or the platform. */
  conditions: z._default(z.enum(CONDITION_MODES), "evaluate"),
});

/** The JSON body of `PUT /v1/flows/{tn}`. */
export const PublishBodySchema = z.strictObject({
  ...FlowOptionsSchema.shape,
  xml: z.string().check(z.minLength(1, { message: "xml is empty" })),
  /** Publish as a canary: a share of callers gets this version, the current one stays (src/flows/canary.ts). */
  canary: z.optional(CanarySchema),
});

/** Query parameters of a raw-XML `PUT /v1/flows/{tn}`. */
export const PublishQuerySchema = z.looseObject({
  mode: z.optional(z.enum(FLOW_MODES)),
  tz: z.optional(timezone),
  timezone: z.optional(timezone),
  description: z.optional(z.string().check(z.maxLength(1000))),
  conditions: z.optional(z.enum(CONDITION_MODES)),
  parkTimeoutMs: z.optional(z.coerce.number().check(...parkTimeoutChecks)),
  /** Publish as a canary for this percentage of callers. */
  canary: z.optional(
    z.coerce
      .number()
      .check(z.gt(0, { message: "a canary percentage is above 0" }), z.lt(100, { message: "a canary percentage is below 100" })),
  ),
});

export type FlowMeta = z.output<typeof FlowOptionsSchema>;
export type PublishBody = z.output<typeof PublishBodySchema>;

/** The body of `POST /v1/flows/{tn}/rollback`; no version → the one before the current. */
export const RollbackBodySchema = z.strictObject({
  version: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{4,64}$/, { message: "a version hash (or a unique prefix of at least 4 hex digits)" })),
  ),
});

/** The body of `POST /v1/flows/{tn}/preview`: a call as the webhook would see it, at a chosen time. */
export const PreviewBodySchema = z.strictObject({
  from: z._default(z.string().check(z.maxLength(64)), ""),
  to: z.optional(z.string().check(z.maxLength(64))),
  at: z.optional(z.iso.datetime({ offset: true, message: "expected an ISO 8601 time, e.g. 2026-03-09T14:00:00Z" })),
  call: z.optional(z.string().check(z.maxLength(128))),
  sca: z.optional(z.string().check(z.maxLength(128))),
  state: z.optional(z.string().check(z.maxLength(64))),
  version: z.optional(z.string().check(z.regex(/^[0-9a-f]{4,64}$/))),
  vars: z.optional(z.record(z.string(), z.string())),
  digits: z.optional(z.string().check(z.maxLength(64))),
});
export type PreviewBody = z.output<typeof PreviewBodySchema>;

/** Canonical JSON: keys sorted at every level, so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** The version id: SHA-256 (hex) of the canonical `{xml, meta}`. */
export async function contentHash(xml: string, meta: FlowMeta): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson({ xml, meta }));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
