/**
 * The call entity events carry: the platform's entity with every field kept, our normalised
 * fields over it, bounded in size with a note of what was left out.
 */
import { describe, it } from "vitest";
import { MAX_ENTITY_CHARS, blankEntity, entityFrom, mergeEntity, overlay } from "../../src/call/entity.ts";
import { callFields } from "../../src/call/platformEvents.ts";

/** A call entity as Opentact sends it (docs/opentact.md §a.2), fields we don't model included. */
const platform = {
  uuid: "c-1",
  direction: "in",
  from: 18389999168,
  to: "18382049000",
  state: "live",
  duration: 3,
  type: "CallSCA",
  freeswitch_call_state: "EARLY",
  freeswitch_channel_state: "CS_EXECUTE",
  stir_shaken_attest_level: "A",
  tn: { tn: 18382049000, created_on: "2024-01-01T00:00:00Z", deleted_on: null },
  sipcontrol_app: { uuid: "sca-9", name: "Main", auto_answer: true, webhook_url: "https://hooks.example/events" },
};

describe("the call entity", () => {
  it("keeps the platform's fields, with the normalised ones over them", ({ expect }) => {
    const e = mergeEntity(blankEntity("c-1"), overlay(platform, callFields(platform)), "c-1");
    expect(e).toMatchObject({
      uuid: "c-1",
      from: "18389999168",
      state: "live",
      freeswitch_call_state: "EARLY",
      freeswitch_channel_state: "CS_EXECUTE",
      stir_shaken_attest_level: "A",
      tn: { tn: 18382049000, created_on: "2024-01-01T00:00:00Z", deleted_on: null },
      sip_control_app: { uuid: "sca-9", name: "Main", auto_answer: true, webhook_url: "https://hooks.example/events" },
    });
    expect(e).not.toHaveProperty("_tactflow");
    // A later event adds to what is known and changes what it reports.
    const later = mergeEntity(
      e,
      overlay({ uuid: "c-1", state: "destroyed", q850_cause: 16 }, { state: "destroyed", q850_cause: 16 }),
      "c-1",
    );
    expect(later).toMatchObject({ state: "destroyed", q850_cause: 16, stir_shaken_attest_level: "A", tn: { tn: 18382049000 } });
  });

  it("is bounded: the largest extra fields go first, and the entity says which", ({ expect }) => {
    const logs = Array.from({ length: 400 }, (_, i) => ({
      at: `2024-01-01T00:00:${String(i % 60).padStart(2, "0")}Z`,
      line: `log line ${i}`,
    }));
    const big = { ...platform, logs, records: [{ url: "https://rec.example/1.wav" }] };
    const e = mergeEntity(blankEntity("c-1"), overlay(big, callFields(big)), "c-1");
    expect(JSON.stringify(e).length).toBeLessThanOrEqual(MAX_ENTITY_CHARS + 200);
    expect(e).not.toHaveProperty("logs");
    expect(e).toMatchObject({ records: [{ url: "https://rec.example/1.wav" }], stir_shaken_attest_level: "A", from: "18389999168" });
    expect(e._tactflow).toEqual({ dropped: ["logs"], limit_chars: MAX_ENTITY_CHARS });
    // Still missing after a smaller update, so still said; gone once the field is back.
    const next = mergeEntity(e, { state: "hangup" }, "c-1");
    expect(next._tactflow).toEqual({ dropped: ["logs"], limit_chars: MAX_ENTITY_CHARS });
    const back = mergeEntity(next, { logs: [] }, "c-1");
    expect(back).toMatchObject({ logs: [] });
    expect(back).not.toHaveProperty("_tactflow");
  });

  it("from the webhook: the body's entity under what earlier events said, the webhook's numbers filling gaps", ({ expect }) => {
    const fromWebhook = entityFrom(
      "c-2",
      { from: "+12015550123", to: "18005550100", sca: "", state: "ringing", entity: { ...platform, uuid: "ignored" } },
      null,
    );
    expect(fromWebhook).toMatchObject({
      uuid: "c-2",
      from: "+12015550123",
      to: "18005550100",
      freeswitch_call_state: "EARLY",
      sip_control_app: { uuid: "sca-9", auto_answer: true },
    });
    const prior = { ...blankEntity("c-3"), state: "init", from: "+1999", init_on: "2024-02-19T16:06:00Z" };
    const withPrior = entityFrom("c-3", { from: "", to: "18005550100", sca: "sca-1", state: "live", entity: { answer_on: "x" } }, prior);
    expect(withPrior).toMatchObject({ state: "init", from: "+1999", to: "18005550100", init_on: "2024-02-19T16:06:00Z", answer_on: "x" });
    expect(withPrior.sip_control_app).toEqual({ uuid: "sca-1" });
  });
});
