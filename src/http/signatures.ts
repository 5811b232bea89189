/**
 * Standard Webhooks signatures (the Standard Webhooks specification, "Signature scheme"), both
 * ways, with Web Crypto only, so the same module runs in the Worker and in Node.
 *
 * - Signed content: `${webhook-id}.${webhook-timestamp}.${body}`; the timestamp is whole seconds.
 * - `v1`: HMAC-SHA256 with a `whsec_<base64>` secret, the signature in base64.
 * - `v1a`: Ed25519, with a `whsk_<base64>` private key (32-byte seed, or seed + public key);
 *   the receiver checks it with the `whpk_<base64>` public key.
 * - `webhook-signature` holds every signature, space-separated, so two secrets can be in force at
 *   once while one is rotated: sign with both, accept either.
 * - A receiver refuses a timestamp more than {@link TOLERANCE_SECONDS} away from its clock and
 *   remembers ids for longer than that, so a captured request can't be replayed.
 */

export const TOLERANCE_SECONDS = 5 * 60;

export interface SigningKeys {
  /** HMAC keys, one per `whsec_` secret, in the order configured (the first is the newest). */
  hmac: CryptoKey[];
  /** Ed25519 private key for `v1a`, and its public key as `whpk_…`. */
  ed25519?: { privateKey: CryptoKey; publicKey: string };
  /** Ed25519 public keys whose `v1a` signatures are accepted on inbound requests. */
  verifyKeys: CryptoKey[];
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export type VerifyResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: "missing-headers" | "bad-timestamp" | "too-old" | "too-new" | "bad-signature"; detail: string };

const enc = new TextEncoder();

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = "";
  for (const b of u8) bin += String.fromCharCode(b);
  return btoa(bin);
}

function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodePrefixed(value: string, prefix: string, what: string): Uint8Array {
  const b64 = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(b64);
  } catch {
    throw new SigningConfigError(`${what} is not ${prefix}<base64>`);
  }
  if (bytes.length === 0) throw new SigningConfigError(`${what} is empty`);
  return bytes;
}

/** A signing secret or key that can't be used; the message names which, never its value. */
export class SigningConfigError extends Error {
  override readonly name = "SigningConfigError";
}

/** A new `webhook-id`: `msg_` and 128 random bits. */
export function newWebhookId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `msg_${toBase64Url(bytes)}`;
}

/** A new `whsec_` secret (for docs and tests; `openssl rand -base64 32` works as well). */
export function newSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): Web Crypto imports seeds no other way.
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

async function importEd25519Private(whsk: string): Promise<{ privateKey: CryptoKey; publicKey: string }> {
  const bytes = decodePrefixed(whsk.trim(), "whsk_", "WEBHOOK_SIGNING_KEY");
  if (bytes.length !== 32 && bytes.length !== 64)
    throw new SigningConfigError("WEBHOOK_SIGNING_KEY must hold a 32-byte Ed25519 seed (or seed and public key, 64 bytes)");
  const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...bytes.subarray(0, 32)]);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  if (!jwk.x) throw new SigningConfigError("WEBHOOK_SIGNING_KEY: the runtime did not derive a public key");
  const pub = fromBase64(
    jwk.x
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(jwk.x.length / 4) * 4, "="),
  );
  return { privateKey, publicKey: `whpk_${toBase64(pub)}` };
}

function importEd25519Public(whpk: string): Promise<CryptoKey> {
  const bytes = decodePrefixed(whpk.trim(), "whpk_", "WEBHOOK_VERIFY_KEYS");
  if (bytes.length !== 32) throw new SigningConfigError("WEBHOOK_VERIFY_KEYS: an Ed25519 public key is 32 bytes");
  return crypto.subtle.importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
}

/**
 * The keys configured by `secrets` (one or more `whsec_` secrets, space- or comma-separated),
 * `privateKey` (`whsk_`) and `publicKeys` (`whpk_`, separated likewise). Null when none is set.
 */
export async function loadSigningKeys(secrets?: string, privateKey?: string, publicKeys?: string): Promise<SigningKeys | null> {
  const list = (v: string | undefined) => (v ?? "").split(/[\s,]+/).filter(Boolean);
  const hmac = await Promise.all(
    list(secrets).map((s) =>
      crypto.subtle.importKey("raw", decodePrefixed(s, "whsec_", "WEBHOOK_SIGNING_SECRET"), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
        "verify",
      ]),
    ),
  );
  const ed25519 = privateKey?.trim() ? await importEd25519Private(privateKey) : undefined;
  const verifyKeys = await Promise.all(list(publicKeys).map(importEd25519Public));
  if (hmac.length === 0 && !ed25519 && verifyKeys.length === 0) return null;
  return { hmac, verifyKeys, ...(ed25519 ? { ed25519 } : {}) };
}

const cache = new Map<string, Promise<SigningKeys | null>>();

/**
 * The Worker's keys from its secrets (`WEBHOOK_SIGNING_SECRET`, `WEBHOOK_SIGNING_KEY`,
 * `WEBHOOK_VERIFY_KEYS`), imported once per isolate and per value.
 */
export function signingKeysFromEnv(
  env: Pick<Env, "WEBHOOK_SIGNING_SECRET" | "WEBHOOK_SIGNING_KEY" | "WEBHOOK_VERIFY_KEYS">,
): Promise<SigningKeys | null> {
  const id = `${env.WEBHOOK_SIGNING_SECRET ?? ""}\u0000${env.WEBHOOK_SIGNING_KEY ?? ""}\u0000${env.WEBHOOK_VERIFY_KEYS ?? ""}`;
  let keys = cache.get(id);
  if (!keys) {
    keys = loadSigningKeys(env.WEBHOOK_SIGNING_SECRET, env.WEBHOOK_SIGNING_KEY, env.WEBHOOK_VERIFY_KEYS);
    // A bad value must not stay cached as a rejected promise once it is fixed; it can't be: a fix is a new value.
    if (cache.size > 8) cache.clear();
    cache.set(id, keys);
  }
  return keys;
}

/** The three headers for one delivery. Reuse `id` on every retry of it; the timestamp is fresh each time. */
export async function signWebhook(keys: SigningKeys, id: string, body: string, nowMs = Date.now()): Promise<SignedHeaders> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const content = enc.encode(`${id}.${timestamp}.${body}`);
  const parts: string[] = [];
  for (const key of keys.hmac) parts.push(`v1,${toBase64(await crypto.subtle.sign("HMAC", key, content))}`);
  if (keys.ed25519) parts.push(`v1a,${toBase64(await crypto.subtle.sign("Ed25519", keys.ed25519.privateKey, content))}`);
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": parts.join(" ") };
}

/** Whether the request carries any Standard Webhooks header (then it is judged by its signature). */
export function hasWebhookSignature(headers: Headers): boolean {
  return headers.has("webhook-signature") || headers.has("webhook-id") || headers.has("webhook-timestamp");
}

/**
 * Check a request's signature: any `v1` matching one of the HMAC secrets, or any `v1a` matching
 * one of the Ed25519 public keys, within the timestamp tolerance. Replay
 * (an id seen before) is the caller's to check, with the id this returns.
 */
export async function verifyWebhook(
  keys: SigningKeys,
  headers: Headers,
  body: string,
  nowMs = Date.now(),
  toleranceSeconds = TOLERANCE_SECONDS,
): Promise<VerifyResult> {
  const id = headers.get("webhook-id");
  const ts = headers.get("webhook-timestamp");
  const sig = headers.get("webhook-signature");
  if (!id || !ts || !sig)
    return { ok: false, reason: "missing-headers", detail: "send webhook-id, webhook-timestamp and webhook-signature together" };
  if (id.length > 256) return { ok: false, reason: "missing-headers", detail: "webhook-id is longer than 256 characters" };
  if (!/^\d{1,12}$/.test(ts))
    return { ok: false, reason: "bad-timestamp", detail: "webhook-timestamp must be whole seconds since the epoch" };
  const timestamp = Number(ts);
  const now = Math.floor(nowMs / 1000);
  if (now - timestamp > toleranceSeconds)
    return { ok: false, reason: "too-old", detail: `webhook-timestamp is more than ${toleranceSeconds} s in the past` };
  if (timestamp - now > toleranceSeconds)
    return { ok: false, reason: "too-new", detail: `webhook-timestamp is more than ${toleranceSeconds} s in the future` };
  const content = enc.encode(`${id}.${ts}.${body}`);
  for (const part of sig.split(" ").slice(0, 10)) {
    const comma = part.indexOf(",");
    if (comma < 0) continue;
    const version = part.slice(0, comma);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(part.slice(comma + 1));
    } catch {
      continue;
    }
    // crypto.subtle.verify compares in constant time.
    if (version === "v1" && bytes.length === 32) {
      for (const key of keys.hmac) if (await crypto.subtle.verify("HMAC", key, bytes, content)) return { ok: true, id, timestamp };
    } else if (version === "v1a" && bytes.length === 64) {
      for (const key of keys.verifyKeys) if (await crypto.subtle.verify("Ed25519", key, bytes, content)) return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: "bad-signature", detail: "no signature in webhook-signature matches a configured secret or key" };
}
