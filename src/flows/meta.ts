/**
 * A flow's metadata and the schemas that admit it. A flow is an XML template plus this; both go
 * into the version's content hash, so changing the mode or a variable is a new version.
 */
import * as z from "zod";
import { NAME_RE } from "../template/index.ts";
import { isTimeZone } from "../xml/index.ts";

export const FLOW_MODES = ["sync", "async"] as const;
export const CONDITION_MODES = ["evaluate", "platform"] as const;

/** Largest accepted publish body (the XML, or the JSON carrying it). */
export const MAX_FLOW_BYTES = 256 * 1024;

const timezone = z.string().trim().min(1).refine(isTimeZone, { message: "expected an IANA time zone, e.g. America/New_York" });

const variables = z
  .record(
    z.string().regex(NAME_RE, { message: "variable names are letters, digits, _ and -, starting with a letter or _" }),
    z.string().max(4096, { message: "a variable value is at most 4096 characters" }),
  )
  .refine((v) => Object.keys(v).length <= 100, { message: "at most 100 variables" });

/** Options a publish may set; every one has a default. */
export const FlowOptionsSchema = z.object({
  /** `sync`: the webhook answers the rendered flow; `async`: the call is parked for commands. */
  mode: z.enum(FLOW_MODES).default("sync"),
  /** Zone for `<Schedule>` blocks without `tz` (docs/opentact.md §f.12). */
  timezone: timezone.default("UTC"),
  /** `{{vars.NAME}}` values. */
  variables: variables.default({}),
  description: z.string().max(1000).default(""),
  /** Park deadline for async mode (docs/opentact.md §c, f.18); absent → the deployment's PARK_TIMEOUT_MS. */
  parkTimeoutMs: z.number().int().min(1000).max(600_000).optional(),
  /** Who evaluates `<Call>`, `<Schedule>` and `<Geo>`: tactflow at render time, or the platform. */
  conditions: z.enum(CONDITION_MODES).default("evaluate"),
});

/** The JSON body of `PUT /v1/flows/{tn}`. */
export const PublishBodySchema = FlowOptionsSchema.extend({
  xml: z.string().min(1, { message: "xml is empty" }),
}).strict();

/** Query parameters of a raw-XML `PUT /v1/flows/{tn}`. */
export const PublishQuerySchema = z
  .object({
    mode: z.enum(FLOW_MODES).optional(),
    tz: timezone.optional(),
    timezone: timezone.optional(),
    description: z.string().max(1000).optional(),
    conditions: z.enum(CONDITION_MODES).optional(),
    parkTimeoutMs: z.coerce.number().int().min(1000).max(600_000).optional(),
  })
  .passthrough();

export type FlowMeta = z.output<typeof FlowOptionsSchema>;
export type PublishBody = z.output<typeof PublishBodySchema>;

/** The body of `POST /v1/flows/{tn}/rollback`; no version → the one before the current. */
export const RollbackBodySchema = z
  .object({
    version: z
      .string()
      .regex(/^[0-9a-f]{4,64}$/, { message: "a version hash (or a unique prefix of at least 4 hex digits)" })
      .optional(),
  })
  .strict();

/** The body of `POST /v1/flows/{tn}/preview`: a call as the webhook would see it, at a chosen time. */
export const PreviewBodySchema = z
  .object({
    from: z.string().max(64).default(""),
    to: z.string().max(64).optional(),
    at: z.iso.datetime({ offset: true, message: "expected an ISO 8601 time, e.g. 2026-03-09T14:00:00Z" }).optional(),
    call: z.string().max(128).optional(),
    sca: z.string().max(128).optional(),
    state: z.string().max(64).optional(),
    version: z
      .string()
      .regex(/^[0-9a-f]{4,64}$/)
      .optional(),
    vars: z.record(z.string(), z.string()).optional(),
    digits: z.string().max(64).optional(),
  })
  .strict();
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
