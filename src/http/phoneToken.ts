/**
 * Phone tokens: how the web console's in-browser phone gets onto the platform-facing routes
 * without WEBHOOK_TOKEN, which never leaves the server.
 *
 * The console asks the admin API for one (`POST /v1/phone/tokens`, scope `calls:control` for the
 * number) and places its call with it as the `?token=` of the call-flow webhook; tactflow writes
 * it into the call's Gather URLs in place of WEBHOOK_TOKEN, and the browser posts the call's
 * events with it. A phone token names one number and one call uuid and expires (an hour), so it
 * opens the webhook only for a call to that number with that uuid, the Gather URLs of that call,
 * and events about that call — never another number's flow or another call.
 *
 * `tfph.<tn>.<call>.<expires, epoch s>.<signature>`: the signature is HMAC-SHA256 over the rest,
 * keyed by a key derived from WEBHOOK_TOKEN, so tokens need no storage and rotating WEBHOOK_TOKEN
 * revokes every one of them.
 */
import { canonicalTn, normalizeTn } from "../tn.ts";
import { safeEqual } from "./auth.ts";

export const PHONE_TOKEN_PREFIX = "tfph.";
/** How long a phone token works: longer than any call placed from a browser tab. */
export const PHONE_TOKEN_TTL_MS = 60 * 60_000;

export interface PhoneClaim {
  /** The number (canonical digits) the token may call. */
  tn: string;
  /** The call uuid the token is for. */
  call: string;
  /** Epoch ms. */
  expiresAt: number;
}

const enc = new TextEncoder();

async function keyFor(secret: string): Promise<CryptoKey> {
  // A key of its own, derived from WEBHOOK_TOKEN: a phone token's signature says nothing about the secret.
  const base = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign("HMAC", base, enc.encode("tactflow phone token v1"));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function base64url(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function sign(secret: string, body: string): Promise<string> {
  return base64url(await crypto.subtle.sign("HMAC", await keyFor(secret), enc.encode(body)));
}

export function isPhoneToken(token: string | undefined | null): token is string {
  return typeof token === "string" && token.startsWith(PHONE_TOKEN_PREFIX);
}

/** A call uuid a phone token can carry: the characters of a uuid, nothing that could split the token. */
const CALL = /^[A-Za-z0-9_-]{1,64}$/;

export async function mintPhoneToken(secret: string, tn: string, call: string, now: number): Promise<{ token: string; claim: PhoneClaim }> {
  const digits = normalizeTn(tn);
  if (!digits) throw new Error(`"${tn}" is not a telephone number`);
  if (!CALL.test(call)) throw new Error("the call id may hold letters, digits, - and _ only");
  const claim: PhoneClaim = { tn: canonicalTn(digits), call, expiresAt: now + PHONE_TOKEN_TTL_MS };
  const body = `${PHONE_TOKEN_PREFIX}${claim.tn}.${call}.${Math.floor(claim.expiresAt / 1000)}`;
  return { token: `${body}.${await sign(secret, body)}`, claim };
}

/** The claim of a valid, unexpired phone token; null for anything else. */
export async function verifyPhoneToken(secret: string, token: string, now: number): Promise<PhoneClaim | null> {
  if (!secret || !isPhoneToken(token) || token.length > 256) return null;
  const parts = token.slice(PHONE_TOKEN_PREFIX.length).split(".");
  if (parts.length !== 4) return null;
  const [tn = "", call = "", exp = "", signature = ""] = parts;
  if (!/^\d{3,15}$/.test(tn) || !CALL.test(call) || !/^\d{1,12}$/.test(exp)) return null;
  const body = `${PHONE_TOKEN_PREFIX}${tn}.${call}.${exp}`;
  if (!safeEqual(signature, await sign(secret, body))) return null;
  const expiresAt = Number(exp) * 1000;
  if (expiresAt <= now) return null;
  return { tn, call, expiresAt };
}

/** Whether a dialled number (any spelling) is the claim's number. */
export function claimCovers(claim: PhoneClaim, dialled: string): boolean {
  const digits = normalizeTn(dialled);
  return digits !== null && canonicalTn(digits) === claim.tn;
}
