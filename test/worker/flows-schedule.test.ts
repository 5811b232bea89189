/**
 * `<Schedule>` in the Worker runtime (workerd's Intl), at the edges of daylight-saving changes
 * in zones other than UTC, rendered through the preview route — the same compiled render the
 * webhook uses.
 */
import { beforeAll, describe, it } from "vitest";
import { api, freshTn, publishOk } from "./helpers/flows.ts";

async function renderAt(tn: string, at: string): Promise<string> {
  const res = await api(`/v1/flows/${tn}/preview`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "+12015550123", at }),
  });
  if (res.status !== 200) throw new Error(`preview ${res.status}: ${await res.text()}`);
  return res.text();
}

const OFFICE = `<Response>
  <Schedule dow="mon-fri" time="09:00:00-17:00:00"><Say>open</Say></Schedule>
  <Schedule time="02:00:00-02:59:59"><Say>two-ish</Say></Schedule>
  <Schedule dow="sun" time="01:00:00-01:59:59"><Say>one-ish</Say></Schedule>
  <Say>end</Say>
</Response>`;

describe("schedules across DST in America/New_York (flow zone)", () => {
  let tn = "";
  beforeAll(async () => {
    tn = freshTn();
    await publishOk(tn, OFFICE, { timezone: "America/New_York" });
  }, 30_000);

  it("opens at 09:00 local on both sides of the spring change, a different UTC hour each", async ({ expect }) => {
    // Friday 2026-03-06 is EST (UTC-5): 09:00 local = 14:00Z.
    expect(await renderAt(tn, "2026-03-06T13:59:59Z")).not.toContain("open");
    expect(await renderAt(tn, "2026-03-06T14:00:00Z")).toContain("<Say>open</Say>");
    // Monday 2026-03-09 is EDT (UTC-4): 09:00 local = 13:00Z, so 13:30Z is open now.
    expect(await renderAt(tn, "2026-03-09T12:59:59Z")).not.toContain("open");
    expect(await renderAt(tn, "2026-03-09T13:30:00Z")).toContain("<Say>open</Say>");
    // The window end is inclusive: 17:00:00 EDT = 21:00:00Z.
    expect(await renderAt(tn, "2026-03-09T21:00:00Z")).toContain("<Say>open</Say>");
    expect(await renderAt(tn, "2026-03-09T21:00:01Z")).not.toContain("open");
  });

  it("the skipped hour never matches on the spring-forward night", async ({ expect }) => {
    // 2026-03-08: 01:59:59 EST (06:59:59Z) is followed by 03:00:00 EDT (07:00:00Z).
    expect(await renderAt(tn, "2026-03-08T06:59:59Z")).not.toContain("two-ish");
    expect(await renderAt(tn, "2026-03-08T07:00:00Z")).not.toContain("two-ish");
    // The next night 02:30 EDT exists (06:30Z) and matches.
    expect(await renderAt(tn, "2026-03-09T06:30:00Z")).toContain("two-ish");
  });

  it("the repeated hour matches twice on the fall-back night", async ({ expect }) => {
    // 2026-11-01: 01:30 EDT (05:30Z) and, an hour later, 01:30 EST (06:30Z).
    expect(await renderAt(tn, "2026-11-01T05:30:00Z")).toContain("one-ish");
    expect(await renderAt(tn, "2026-11-01T06:30:00Z")).toContain("one-ish");
    // 02:00 EST (07:00Z) is past both.
    expect(await renderAt(tn, "2026-11-01T07:00:00Z")).not.toContain("one-ish");
  });
});

describe("a tz attribute overrides the flow zone", () => {
  it("Europe/Berlin switches a week later than New York: 09:00 local is 08:00Z, then 07:00Z", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(
      tn,
      `<Response><Schedule dow="mon-fri" time="09:00:00-17:00:00" tz="Europe/Berlin"><Say>offen</Say></Schedule></Response>`,
      { timezone: "America/New_York" },
    );
    // Friday 2026-03-27 is CET (UTC+1).
    expect(await renderAt(tn, "2026-03-27T07:30:00Z")).not.toContain("offen");
    expect(await renderAt(tn, "2026-03-27T08:00:00Z")).toContain("offen");
    // Monday 2026-03-30 is CEST (UTC+2): 07:30Z is 09:30 local.
    expect(await renderAt(tn, "2026-03-30T07:30:00Z")).toContain("offen");
    expect(await renderAt(tn, "2026-03-30T06:59:59Z")).not.toContain("offen");
  });

  it("no zone at all means UTC", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, `<Response><Schedule time="09:00:00-09:59:59"><Say>utc</Say></Schedule></Response>`);
    expect(await renderAt(tn, "2026-07-01T09:15:00Z")).toContain("utc");
    expect(await renderAt(tn, "2026-07-01T10:15:00Z")).not.toContain("utc");
  });
});
