/**
 * Every request tactflow sends to the platform is signed the Standard Webhooks way, and
 * `webhook-id` (the Idempotency-Key) is the same on every retry of one delivery.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { loadSigningKeys, signWebhook, verifyWebhook } from "../../src/http/signatures.ts";
import { advance, begin, clearAlarms, commands, newCall, sentTo } from "./call-helpers.ts";

afterEach(clearAlarms);

const PARKED = `<Response><Answer/><Say>Please hold</Say></Response>`;
const ASYNC = { mode: "async" as const, parkTimeoutMs: 30_000 };

interface SignedSent {
  action: string;
  body: string;
  idempotencyKey: string | null;
  webhookId: string | null;
  webhookTimestamp: string | null;
  webhookSignature: string | null;
}

async function verifies(sent: SignedSent): Promise<boolean> {
  const keys = (await loadSigningKeys((env as Env).WEBHOOK_SIGNING_SECRET))!;
  const headers = new Headers({
    "webhook-id": sent.webhookId ?? "",
    "webhook-timestamp": sent.webhookTimestamp ?? "",
    "webhook-signature": sent.webhookSignature ?? "",
  });
  // The stand-in platform's clock is the test's; the tolerance check uses the send time.
  return (await verifyWebhook(keys, headers, sent.body, Number(sent.webhookTimestamp) * 1000)).ok;
}

describe("outbound signatures", () => {
  it("commands and the timeout hang-up carry a valid signature; webhook-id is the Idempotency-Key", async ({ expect }) => {
    const call = newCall("signed");
    await begin(call, PARKED, ASYNC);
    expect((await commands(call, "<Say>Your table is ready</Say>")).status).toBe(202);
    await advance(call, 30_000);
    const sent = (await sentTo(call)) as unknown as SignedSent[];
    expect(sent.map((s) => s.action)).toEqual(["commands", "hangup"]);
    for (const s of sent) {
      expect(s.webhookId).toBe(s.idempotencyKey);
      expect(s.webhookSignature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(await verifies(s)).toBe(true);
    }
    expect(sent[0]!.webhookId).not.toBe(sent[1]!.webhookId);
  });

  it("a retried delivery keeps its webhook-id, so the receiver can drop the repeat", async ({ expect }) => {
    const call = newCall("platform-down");
    await begin(call, PARKED, ASYNC);
    await commands(call, "<Say>Hello</Say>");
    await advance(call, 1_000);
    const sent = (await sentTo(call)) as unknown as SignedSent[];
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((s) => s.webhookId)).size).toBe(1);
    for (const s of sent) expect(await verifies(s)).toBe(true);
  });
});

describe("Ed25519 in the Workers runtime", () => {
  it("a whsk_ seed loads, signs v1a, and its whpk_ public key verifies it", async ({ expect }) => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
    const whsk = `whsk_${btoa(String.fromCharCode(...pkcs8.subarray(-32)))}`;
    const keys = (await loadSigningKeys(undefined, whsk))!;
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
    expect(keys.ed25519?.publicKey).toBe(`whpk_${btoa(String.fromCharCode(...raw))}`);
    const headers = new Headers({ ...(await signWebhook(keys, "msg_ed", "{}")) });
    const receiver = (await loadSigningKeys(undefined, undefined, keys.ed25519!.publicKey))!;
    expect(await verifyWebhook(receiver, headers, "{}")).toMatchObject({ ok: true });
    expect(await verifyWebhook(receiver, headers, "{ }")).toMatchObject({ ok: false, reason: "bad-signature" });
  });
});

describe("the published public key", () => {
  it("GET /v1/webhooks/signing-key serves the whpk_ of WEBHOOK_SIGNING_KEY, and 404 without one", async ({ expect }) => {
    const worker = (await import("../../src/index.ts")).default;
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
    const whsk = `whsk_${btoa(String.fromCharCode(...pkcs8.subarray(-32)))}`;
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
    const res = await worker.fetch(new Request("https://tf.test/v1/webhooks/signing-key"), {
      ...env,
      WEBHOOK_SIGNING_KEY: whsk,
    } as unknown as Env);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      keys: [{ alg: "Ed25519", version: "v1a", public_key: `whpk_${btoa(String.fromCharCode(...raw))}` }],
    });
    expect((await worker.fetch(new Request("https://tf.test/v1/webhooks/signing-key"), env as unknown as Env)).status).toBe(404);
  });
});
