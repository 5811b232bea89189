/**
 * Simulated calls against a real `wrangler dev`: the flow is published through the admin API,
 * the simulator plays the platform, and the tests read what the caller heard.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { CallResult } from "../../sim/index.ts";
import { ROOT } from "./harness.ts";
import { callTn, heard, publishFlow, tactflow } from "./tactflow.ts";

const IVR_TN = "15550140001";
const CLOSED_TN = "15550140002";
const ECHO_TN = "15550140003";
const UNKNOWN_TN = "15550149999";

const MENU = "Press 1 for sales, 2 for support, 3 for billing.";
const IVR = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Thanks for calling Acme.</Say>
  <Gather numDigits="1" attempts="2" timeout="4000">
    <Say>${MENU}</Say>
    <Switch>
      <Case dtmf="1"><Say>Connecting you to sales.</Say></Case>
      <Case dtmf="2"><Say>Connecting you to support.</Say></Case>
      <Case dtmf="3"><Say>Connecting you to billing.</Say></Case>
      <Default><Say>Sorry, that is not an option.</Say></Default>
      <Error><Say>We did not hear from you. Goodbye.</Say><Hangup tag="no-input"/></Error>
    </Switch>
  </Gather>
  <Say>Thank you for calling.</Say>
  <Hangup/>
</Response>`;

// Left for the platform to evaluate, so the simulator's clock (`at`) decides, not the server's.
const OFFICE_HOURS = `<Response>
  <Schedule dow="mon-fri" time="09:00:00-17:00:00" tz="America/New_York">
    <Say>We are open. Connecting you now.</Say>
    <Hangup tag="open"/>
  </Schedule>
  <Say>Our office is closed. Please call back during business hours.</Say>
  <Hangup tag="after-hours"/>
</Response>`;

const ECHO = `<Response>
  <Say>You are calling from {{from}}.</Say>
  <Say text="Caller {{from}} reached {{tn}}."/>
  <Hangup/>
</Response>`;

function kinds(result: CallResult): string[] {
  return result.trace.filter((e) => !["EVENT", "STATE", "REQUEST", "NOTE"].includes(e.kind)).map((e) => e.kind);
}

beforeAll(async () => {
  await publishFlow(IVR_TN, { xml: IVR, description: "e2e IVR menu" });
  await publishFlow(CLOSED_TN, { xml: OFFICE_HOURS, conditions: "platform", description: "e2e office hours" });
  await publishFlow(ECHO_TN, { xml: ECHO, description: "e2e caller id echo" });
});

describe("an IVR menu", () => {
  it.each([
    ["1", "Connecting you to sales."],
    ["2", "Connecting you to support."],
    ["3", "Connecting you to billing."],
  ])("key %s takes its branch, then the flow carries on", async (key, branch) => {
    const result = await callTn({ to: IVR_TN, inputs: [{ digits: key }] });
    expect(heard(result)).toEqual(["Thanks for calling Acme.", MENU, branch, "Thank you for calling."]);
    expect(result.end.cause).toBe("flow-hangup");
    // The server accepted every lifecycle and command event the call produced.
    expect(result.events.failed).toBe(0);
    expect(result.events.posted).toBeGreaterThan(5);
  });

  it("sends a wrong key to <Default> once the attempts are spent", async () => {
    const result = await callTn({ to: IVR_TN, inputs: [{ digits: "9" }, { digits: "9" }] });
    expect(heard(result)).toEqual(["Thanks for calling Acme.", MENU, MENU, "Sorry, that is not an option.", "Thank you for calling."]);
  });

  it("re-prompts on silence, then runs <Error>", async () => {
    const result = await callTn({ to: IVR_TN, inputs: [] });
    expect(heard(result)).toEqual(["Thanks for calling Acme.", MENU, MENU, "We did not hear from you. Goodbye."]);
    expect(result.end).toMatchObject({ cause: "flow-hangup", tag: "no-input" });
  });
});

describe("an after-hours schedule", () => {
  it.each([
    ["2026-11-23T15:00:00Z", "Monday 10:00 in New York", "We are open. Connecting you now.", "open"],
    ["2026-11-23T22:30:00Z", "Monday 17:30 in New York", "Our office is closed. Please call back during business hours.", "after-hours"],
    ["2026-11-28T15:00:00Z", "Saturday 10:00 in New York", "Our office is closed. Please call back during business hours.", "after-hours"],
  ])("a call at %s (%s) hears the right message", async (at, _when, message, tag) => {
    const result = await callTn({ to: CLOSED_TN, at });
    expect(heard(result)).toEqual([message]);
    expect(result.end.tag).toBe(tag);
  });
});

describe("a hostile caller id", () => {
  it("is read out as text and changes nothing in the document", async () => {
    const hostile = `"><Record/>`;
    const normal = await callTn({ to: ECHO_TN, from: "15551230000" });
    const attacked = await callTn({ to: ECHO_TN, from: hostile });
    expect(kinds(attacked)).toEqual(kinds(normal));
    expect(kinds(attacked)).not.toContain("RECORD");
    expect(heard(attacked)).toEqual([`You are calling from ${hostile}.`, `Caller ${hostile} reached ${ECHO_TN}.`]);
  });
});

describe("a number without a flow", () => {
  it("gets the fallback document, never an error", async () => {
    const result = await callTn({ to: UNKNOWN_TN });
    expect(heard(result)).toEqual(["This number is not in service. This is the end to end fallback."]);
    expect(result.end).toMatchObject({ cause: "flow-hangup", tag: "fallback" });
  });
});

describe("the tactflow call command", () => {
  it("prints the transcript of a call to the IVR", async () => {
    const t = tactflow();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, "bin/tactflow.mjs"),
        "call",
        "--to",
        IVR_TN,
        "--from",
        "15551230000",
        "--digits",
        "2",
        "--url",
        t.url,
        "--webhook-token",
        t.webhookToken,
      ],
      {
        cwd: ROOT,
      },
    );
    expect(stdout).toMatch(/^00:00\.0 SAY "Thanks for calling Acme\." \(voice en-US FEMALE\)$/m);
    expect(stdout).toMatch(/^\d\d:\d\d\.\d DTMF 2$/m);
    expect(stdout).toContain('SAY "Connecting you to support."');
    expect(stdout).toMatch(/^Call ended at \d\d:\d\d\.\d: the flow hung up\. Events: \d+ posted\.$/m);
  });
});
