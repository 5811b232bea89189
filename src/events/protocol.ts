/**
 * The subscriber wire protocol for `/v1/calls/{call}/events` and `/v1/events`: what the
 * upgrade URL may carry, the frames a client may send, and the non-event frames we send back.
 * Every inbound value goes through a zod schema; nothing the client sends is trusted as typed.
 *
 * Authentication follows docs/opentact.md §d.2: a token on the upgrade (`?token=`, `?jwt=`, `X-Auth-Token`,
 * `Authorization: Bearer`) or a first text frame `{"type":"auth","token":…}` (also `jwt` /
 * `X-Auth-Token` keys); the answer is an `auth` frame, and failure closes with 4001.
 */
import * as z from "../zod.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";
import { safeEqual, bearerToken } from "../http/auth.ts";
import { problemDocument, type Problem } from "../http/problem.ts";
import { STREAM_EVENT_TYPES } from "./shapes.ts";
import type { StreamEventType } from "./shapes.ts";

/** Close codes. 4001 is Opentact's auth failure [R, docs/opentact.md §d.2]; 1013 is RFC 6455 "try again later". */
export const CLOSE = {
  normal: 1000,
  tooBig: 1009,
  authFailed: 4001,
  backpressure: 1013,
  stale: 4008,
  full: 4029,
} as const;

/**
 * The code to send in a close frame, given the code we would like to send (our own, or the
 * peer's when reciprocating its close). RFC 6455 §7.4.1–7.4.2: 1005 (no status received), 1006
 * (abnormal closure, no close frame at all) and 1015 (TLS failure) are reserved for reporting and
 * must never be sent, 1004 is reserved, and 1016–2999 belong to the protocol; runtimes refuse to
 * send them (a refused close leaves the client in CLOSING until it reports 1006). So anything but
 * 1000–1003, 1007–1014 and the application range 3000–4999 becomes a plain 1000.
 */
export function sendableCloseCode(code: number): number {
  const ok = Number.isInteger(code) && ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));
  return ok ? code : CLOSE.normal;
}

export const AUTH_TIMEOUT_MS = 5_000;
/** A client must show a sign of life (a `ping` text frame, an ack, any frame) this often. */
export const STALE_AFTER_MS = 90_000;
/** How often the sweep runs while subscribers exist. */
export const SWEEP_EVERY_MS = 30_000;
/** Default and largest unacknowledged-event window a subscriber may hold. */
export const DEFAULT_WINDOW = 1_024;
export const MAX_WINDOW = 8_192;
/** Unacknowledged bytes a subscriber may hold, whatever its window. */
export const MAX_INFLIGHT_BYTES = 2 * 1024 * 1024;
/** Largest client frame we read; an auth or ack frame is a few dozen bytes. */
export const MAX_CLIENT_FRAME = 4_096;
/** Sockets one object accepts (the runtime's ceiling is 32,768 hibernatable sockets). */
export const MAX_SUBSCRIBERS = 10_000;

const typesParam = z.pipe(
  z.string(),
  z.transform((s: string, ctx) => {
    const parts = [
      ...new Set(
        s
          .split(",")
          .map((p) => p.trim())
          .filter((p) => p.length > 0),
      ),
    ];
    const bad = parts.filter((p) => !(STREAM_EVENT_TYPES as readonly string[]).includes(p));
    if (bad.length > 0 || parts.length === 0) {
      return z.refuse(
        ctx,
        `types must be a comma-separated list of ${STREAM_EVENT_TYPES.join(", ")}${bad.length ? `; unknown: ${bad.join(", ")}` : ""}`,
      );
    }
    return parts as StreamEventType[];
  }),
);

const seqParam = z.pipe(
  z.string().check(z.regex(/^\d{1,15}$/, "since must be a non-negative integer sequence number")),
  z.transform((s: string) => Number(s)),
);

const windowParam = z
  .pipe(
    z.string().check(z.regex(/^\d{1,6}$/, "window must be a positive integer")),
    z.transform((s: string) => Number(s)),
  )
  .check(z.refine((n) => n >= 1 && n <= MAX_WINDOW, `window must be between 1 and ${MAX_WINDOW}`));

const tnParam = z.pipe(
  z.string(),
  z.transform((s: string, ctx) => {
    const tn = normalizeTn(s);
    if (!tn) return z.refuse(ctx, "tn must be a telephone number (3 to 15 digits)");
    // The stored form, so 10- and 11-digit North American spellings meet (src/tn.ts).
    return canonicalTn(tn);
  }),
);

/** The query of an upgrade URL. Unknown parameters are ignored, as HTTP clients add their own. */
export const SubscribeQuery = z.object({
  types: z.optional(typesParam),
  since: z.optional(seqParam),
  tn: z.optional(tnParam),
  window: z.optional(windowParam),
  token: z.optional(z.string().check(z.maxLength(4096))),
  jwt: z.optional(z.string().check(z.maxLength(4096))),
});
export type SubscribeQuery = z.output<typeof SubscribeQuery>;

export interface SubscribeOptions {
  types: StreamEventType[] | null;
  since: number | null;
  tn: string | null;
  window: number;
  /** A token presented on the upgrade itself, if any. */
  token: string | null;
}

export type ParseResult = { ok: true; value: SubscribeOptions } | { ok: false; errors: { path: string; message: string }[] };

/** Reads and validates an upgrade request: query parameters plus the docs/opentact.md §d.2 token headers. */
export function parseSubscribeRequest(request: Request, stream: "call" | "hub"): ParseResult {
  const url = new URL(request.url);
  const raw: Record<string, string> = {};
  for (const key of ["types", "since", "tn", "window", "token", "jwt"]) {
    const v = url.searchParams.get(key);
    if (v !== null) raw[key] = v;
  }
  const parsed = SubscribeQuery.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? "query"), message: i.message })) };
  }
  const q = parsed.data;
  if (stream === "call" && q.tn !== undefined) {
    return {
      ok: false,
      errors: [{ path: "tn", message: "the tn filter applies to the account-wide stream /v1/events; a call stream is one call already" }],
    };
  }
  const token = q.token ?? q.jwt ?? request.headers.get("x-auth-token") ?? bearerToken(request.headers.get("authorization")) ?? null;
  return {
    ok: true,
    value: { types: q.types ?? null, since: q.since ?? null, tn: q.tn ?? null, window: q.window ?? DEFAULT_WINDOW, token },
  };
}

export type UpgradeCheck = { ok: true; value: SubscribeOptions } | { ok: false; problem: Problem; headers: Record<string, string> };

/**
 * The one check of a subscription request: a WebSocket upgrade (else 426) with a valid query
 * (else 400). The Worker's route makes it, so a bad request never reaches an object, and the
 * object that accepts the socket makes it again on what it is handed.
 */
export function checkUpgrade(request: Request, stream: "call" | "hub"): UpgradeCheck {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return {
      ok: false,
      problem: problemDocument(
        426,
        "Upgrade required",
        "This is a WebSocket endpoint: connect with Upgrade: websocket (e.g. `tactflow tail`).",
      ),
      headers: { upgrade: "websocket" },
    };
  }
  const parsed = parseSubscribeRequest(request, stream);
  if (!parsed.ok) {
    const detail = parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    return { ok: false, problem: problemDocument(400, "Invalid subscription", detail, { errors: parsed.errors }), headers: {} };
  }
  return parsed;
}

/** Frames a client may send (besides the bare text `ping`, which the runtime answers itself). */
const frameToken = z.optional(z.string().check(z.maxLength(4096)));
export const ClientFrame = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("auth"),
      token: frameToken,
      jwt: frameToken,
      "X-Auth-Token": frameToken,
      "x-auth-token": frameToken,
    })
    .check(
      z.refine(
        (f) => (f.token ?? f.jwt ?? f["X-Auth-Token"] ?? f["x-auth-token"]) !== undefined,
        "the auth frame needs a token (token, jwt or X-Auth-Token)",
      ),
    ),
  z.object({ type: z.literal("ack"), seq: z.number().check(z.int(), z.nonnegative()) }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientFrame = z.output<typeof ClientFrame>;

export function tokenOf(frame: Extract<ClientFrame, { type: "auth" }>): string {
  return frame.token ?? frame.jwt ?? frame["X-Auth-Token"] ?? frame["x-auth-token"] ?? "";
}

/** Which configured token a subscriber presented. Both are read-only on the event streams. */
export type Role = "admin" | "events";

export type AuthOutcome = { ok: true; role: Role } | { ok: false; reason: string };

/** Checks a token against `ADMIN_TOKEN` and `EVENTS_TOKEN` in constant time; fails closed. */
export function authenticate(env: Pick<Env, "ADMIN_TOKEN" | "EVENTS_TOKEN">, token: string | null | undefined): AuthOutcome {
  if (!env.ADMIN_TOKEN && !env.EVENTS_TOKEN) return { ok: false, reason: "event streams are disabled: set EVENTS_TOKEN or ADMIN_TOKEN" };
  if (!token) return { ok: false, reason: "no token" };
  // Compare against both so the time taken does not say which one matched.
  const admin = env.ADMIN_TOKEN ? safeEqual(token, env.ADMIN_TOKEN) : false;
  const events = env.EVENTS_TOKEN ? safeEqual(token, env.EVENTS_TOKEN) : false;
  if (admin) return { ok: true, role: "admin" };
  if (events) return { ok: true, role: "events" };
  return { ok: false, reason: "invalid token" };
}

/** The account and user we report in `auth` frames: tactflow has one account and two token roles. */
// Every key docs/opentact.md §d.2 lists on the account, so a client that reads any of them finds it (null
// where tactflow has no such fact).
const ACCOUNT = {
  uuid: "6f1c2f7e-3d0a-4c55-9d6e-7461637466c0",
  email: null,
  name: "tactflow",
  phone: null,
  level: "Level2",
  address1: null,
  address2: null,
  zip_code: null,
  city: null,
  created_on: null,
  modified_on: null,
  deleted_on: null,
  disabled_on: null,
};
const USERS: Record<Role, { uuid: string; email: string; first_name: string; role: string }> = {
  admin: { uuid: "6f1c2f7e-3d0a-4c55-9d6e-7461637466c1", email: "admin@tactflow.invalid", first_name: "admin", role: "Admin" },
  events: { uuid: "6f1c2f7e-3d0a-4c55-9d6e-7461637466c2", email: "events@tactflow.invalid", first_name: "events", role: "User" },
};

export interface StreamInfo {
  /** `call` for `/v1/calls/{call}/events`, `hub` for `/v1/events`. */
  kind: "call" | "hub";
  /** The call uuid, or `account`. */
  scope: string;
  /** The newest sequence number in this stream when the subscription started. */
  last_seq: number;
  /** The sequence field to resume and acknowledge with: `seq` on a call, `hub_seq` on the hub. */
  seq_field: "seq" | "hub_seq";
  types: StreamEventType[] | null;
  tn: string | null;
  since: number | null;
  window: number;
}

/** docs/opentact.md §d.2 success answer, plus a `stream` object describing what the socket will receive. */
export function authSuccessFrame(conn: string, ip: string, role: Role, stream: StreamInfo, now: Date): string {
  const user = {
    ...USERS[role],
    phone_number: null,
    last_name: null,
    wss_online: true,
    avatar: null,
    dob: null,
    gender: null,
    created_on: null,
    modified_on: null,
    deleted_on: null,
  };
  return JSON.stringify({
    uuid: crypto.randomUUID(),
    created_on: now.toISOString(),
    type: "auth",
    success: true,
    message: `WSS connection ${conn}@${ip} - success auth ${user.email}`,
    payload: { uuid: conn, ip, user, account: ACCOUNT, stream },
    account: ACCOUNT,
  });
}

/** docs/opentact.md §d.2 failure answer [R]: the same envelope with `success:false`; the socket then closes 4001. */
export function authFailureFrame(conn: string, ip: string, reason: string, now: Date): string {
  return JSON.stringify({
    uuid: crypto.randomUUID(),
    created_on: now.toISOString(),
    type: "auth",
    success: false,
    message: `WSS connection ${conn}@${ip} - auth failed: ${reason}`,
    payload: { uuid: conn, ip },
  });
}

/** A protocol complaint that does not end the subscription (an unknown frame, a bad ack). */
export function errorFrame(message: string, now: Date): string {
  return JSON.stringify({ uuid: crypto.randomUUID(), created_on: now.toISOString(), type: "error", message });
}

/** Sent before a replay when the hub no longer holds every event after `since`. */
export function gapFrame(since: number, oldest: number, now: Date): string {
  return JSON.stringify({
    uuid: crypto.randomUUID(),
    created_on: now.toISOString(),
    type: "gap",
    message: `events ${since + 1}..${oldest - 1} are no longer retained; replay starts at ${oldest}`,
    payload: { since, first_available: oldest },
  });
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= 123) return text;
  return new TextDecoder().decode(bytes.slice(0, 120)).replace(/\uFFFD$/, "") + "...";
}
