/**
 * Publishing reads the body's bytes as UTF-8 or refuses them: a byte that is not UTF-8 is a 422
 * naming its line and column, so no flow is published that says U+FFFD where the author wrote
 * something else.
 */
import { describe, it } from "vitest";
import { api, freshTn, webhook } from "./helpers/flows.ts";

interface Problem {
  title: string;
  status: number;
  code?: string;
  detail?: string;
  diagnostics?: Array<{ severity: string; code: string; message: string; line: number; col: number }>;
}

function putBytes(tn: string, body: Uint8Array, type = "application/xml"): Promise<Response> {
  return api(`/v1/flows/${tn}`, { method: "PUT", headers: { "content-type": type }, body });
}

const bytes = (...parts: Array<string | number[]>) => {
  const enc = new TextEncoder();
  const chunks = parts.map((p) => (typeof p === "string" ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

describe("PUT /v1/flows/{tn} with bytes that are not UTF-8", () => {
  const cases: Array<[string, number[]]> = [
    ["\\xff", [0xff]],
    ["an overlong \\xc0\\xbc", [0xc0, 0xbc]],
    ["an encoded surrogate \\xed\\xa0\\x80", [0xed, 0xa0, 0x80]],
  ];
  for (const [name, bad] of cases) {
    it(`${name}: 422 at the byte's line:col, and nothing published`, async ({ expect }) => {
      const tn = freshTn();
      const res = await putBytes(tn, bytes("<Response>\n  <Say>Hello ", bad, "</Say>\n</Response>"));
      expect(res.status).toBe(422);
      const p = (await res.json()) as Problem;
      expect(p.diagnostics?.[0]).toMatchObject({ severity: "error", code: "bad-encoding", line: 2, col: 14 });
      expect((await api(`/v1/flows/${tn}`)).status).toBe(404);
    });
  }

  it("the same inside a JSON body", async ({ expect }) => {
    const res = await putBytes(freshTn(), bytes('{"xml": "<Response><Say>', [0xff], '</Say></Response>"}'), "application/json");
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).diagnostics?.[0]).toMatchObject({ code: "bad-encoding", line: 1, col: 25 });
  });

  it("one byte-order mark publishes (and is not part of the flow); two are refused", async ({ expect }) => {
    const tn = freshTn();
    const one = await putBytes(tn, bytes([0xef, 0xbb, 0xbf], "<Response><Say>Hi</Say></Response>"));
    expect(one.status).toBe(201);
    const body = await (await webhook(`from=1&to=${tn}`)).text();
    expect(body).toContain("<Say>Hi</Say>");
    expect(body).not.toContain("\uFFFD");
    const two = await putBytes(freshTn(), bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], "<Response><Say>Hi</Say></Response>"));
    expect(two.status).toBe(422);
    expect(((await two.json()) as Problem).diagnostics?.[0]).toMatchObject({ code: "bad-encoding", line: 1, col: 1 });
  });
});
