/**
 * Values that used to publish silently are refused at publish with their line:col: a number
 * past its attribute's range (the message gives the range), a list that names nothing. A
 * preview whose variables would put a number out of range fails the render instead of showing it.
 */
import { describe, it } from "vitest";
import { api, freshTn, publish, publishOk } from "./helpers/flows.ts";

interface Problem {
  title: string;
  status: number;
  code?: string;
  diagnostics?: Array<{ severity: string; code: string; message: string; line: number; col: number }>;
}

describe("values that publish silently no more", () => {
  it("a number past its range: 422 with the range", async ({ expect }) => {
    const res = await publish(freshTn(), `<Response>\n  <Gather numDigits="${"9".repeat(300)}"><Say>Press</Say></Gather>\n</Response>`);
    expect(res.status).toBe(422);
    const d = ((await res.json()) as Problem).diagnostics?.[0];
    expect(d).toMatchObject({ code: "bad-attribute", line: 2, col: 11 });
    expect(d?.message).toContain("from 1 to 64");
  });

  it('<Geo states=""> and states=",,,": 422', async ({ expect }) => {
    for (const states of ["", ",,,"]) {
      const res = await publish(freshTn(), `<Response><Geo states="${states}"><Hangup/></Geo></Response>`);
      expect(res.status).toBe(422);
    }
  });

  it("a preview whose variables put a number out of range: 422 Render failed, code bad-value", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, `<Response><Pause length="{{vars.wait}}"/></Response>`, { variables: { wait: "1000" } });
    const res = await api(`/v1/flows/${tn}/preview`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "+12015550123", vars: { wait: "9".repeat(40) } }),
    });
    expect(res.status).toBe(422);
    expect((await res.json()) as Problem).toMatchObject({ title: "Render failed", code: "bad-value" });
  });
});
