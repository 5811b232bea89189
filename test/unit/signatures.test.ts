/**
 * Standard Webhooks signatures interoperate with the `standardwebhooks` package (the reference
 * TypeScript implementation), both ways; tampering, stale timestamps and rotation behave as the
 * specification says. Ed25519 (`v1a`) is checked against node:crypto, which the package lacks.
 */
import { generateKeyPairSync, sign as edSign, verify as edVerify } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { loadSigningKeys, newSecret, newWebhookId, signWebhook, verifyWebhook } from "../../src/http/signatures.ts";

const body = JSON.stringify({ xml: "<Say>Your table is ready</Say>" });

describe("Standard Webhooks v1 (HMAC-SHA256)", () => {
  it("what tactflow signs, the standardwebhooks package verifies", async () => {
    const secret = newSecret();
    const keys = (await loadSigningKeys(secret))!;
    const headers = await signWebhook(keys, newWebhookId(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("what the standardwebhooks package signs, tactflow verifies", async () => {
    const secret = newSecret();
    const wh = new Webhook(secret);
    const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    const now = new Date();
    const headers = new Headers({
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": wh.sign(id, now, body),
    });
    const result = await verifyWebhook((await loadSigningKeys(secret))!, headers, body);
    expect(result).toMatchObject({ ok: true, id });
  });

  it("a tampered body, a wrong secret or a timestamp over 5 minutes off is refused", async () => {
    const secret = newSecret();
    const keys = (await loadSigningKeys(secret))!;
    const signed = new Headers({ ...(await signWebhook(keys, "msg_1", body)) });
    expect(await verifyWebhook(keys, signed, `${body} `)).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(await verifyWebhook((await loadSigningKeys(newSecret()))!, signed, body)).toMatchObject({ ok: false, reason: "bad-signature" });
    const sixMinutes = 6 * 60 * 1000;
    const old = new Headers({ ...(await signWebhook(keys, "msg_2", body, Date.now() - sixMinutes)) });
    expect(await verifyWebhook(keys, old, body)).toMatchObject({ ok: false, reason: "too-old" });
    const future = new Headers({ ...(await signWebhook(keys, "msg_3", body, Date.now() + sixMinutes)) });
    expect(await verifyWebhook(keys, future, body)).toMatchObject({ ok: false, reason: "too-new" });
    // The package refuses the same stale request.
    expect(() => new Webhook(secret).verify(body, Object.fromEntries(old))).toThrow(/too old/);
    expect(await verifyWebhook(keys, new Headers({ "webhook-id": "msg_4" }), body)).toMatchObject({ ok: false, reason: "missing-headers" });
  });

  it("rotation: with two secrets configured, receivers holding either one verify", async () => {
    const [next, current] = [newSecret(), newSecret()];
    const keys = (await loadSigningKeys(`${next} ${current}`))!;
    const headers = await signWebhook(keys, "msg_rot", body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(next).verify(body, { ...headers })).not.toThrow();
    // And inbound: a sender still on the old secret is accepted while both are configured.
    const now = new Date();
    const fromOld = new Headers({
      "webhook-id": "msg_old",
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(current).sign("msg_old", now, body),
    });
    expect(await verifyWebhook(keys, fromOld, body)).toMatchObject({ ok: true });
  });

  it("a secret that is not whsec_<base64> is a configuration error naming the variable", async () => {
    await expect(loadSigningKeys("whsec_***")).rejects.toThrow(/WEBHOOK_SIGNING_SECRET/);
    expect(await loadSigningKeys("")).toBeNull();
  });
});

describe("Standard Webhooks v1a (Ed25519)", () => {
  function keyPair(): {
    whsk: string;
    whpk: string;
    verify: (content: string, sig: string) => boolean;
    signer: (content: string) => string;
  } {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
    const pub = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    return {
      whsk: `whsk_${Buffer.from(seed).toString("base64")}`,
      whpk: `whpk_${Buffer.from(pub).toString("base64")}`,
      verify: (content, sig) => edVerify(null, Buffer.from(content), publicKey, Buffer.from(sig, "base64")),
      signer: (content) => edSign(null, Buffer.from(content), privateKey).toString("base64"),
    };
  }

  it("tactflow's v1a verifies with the published public key (node:crypto as the receiver)", async () => {
    const kp = keyPair();
    const keys = (await loadSigningKeys(undefined, kp.whsk))!;
    expect(keys.ed25519?.publicKey).toBe(kp.whpk);
    const h = await signWebhook(keys, "msg_ed", body);
    const v1a = h["webhook-signature"]
      .split(" ")
      .find((s) => s.startsWith("v1a,"))!
      .slice(4);
    expect(kp.verify(`msg_ed.${h["webhook-timestamp"]}.${body}`, v1a)).toBe(true);
    expect(kp.verify(`msg_ed.${h["webhook-timestamp"]}.${body}x`, v1a)).toBe(false);
  });

  it("an inbound v1a from a sender whose public key is configured is accepted, a forged one is not", async () => {
    const sender = keyPair();
    const keys = (await loadSigningKeys(undefined, undefined, sender.whpk))!;
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = (sig: string) => new Headers({ "webhook-id": "msg_in", "webhook-timestamp": ts, "webhook-signature": `v1a,${sig}` });
    expect(await verifyWebhook(keys, headers(sender.signer(`msg_in.${ts}.${body}`)), body)).toMatchObject({ ok: true });
    expect(await verifyWebhook(keys, headers(keyPair().signer(`msg_in.${ts}.${body}`)), body)).toMatchObject({ ok: false });
  });
});
