/**
 * The admin API for flows: publish, read, list, history, rollback, delete, preview, and every
 * way a request can be wrong.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { SIMPLE, api, freshTn, publish, publishOk } from "./helpers/flows.ts";

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  diagnostics?: Array<{ severity: string; code: string; message: string; line: number; col: number }>;
  errors?: Array<{ path: string; message: string }>;
}

describe("PUT /v1/flows/{tn}", () => {
  it("publishes JSON: 201 with the content hash, then 200 for the same content", async ({ expect }) => {
    const tn = freshTn();
    const first = await publish(tn, SIMPLE, { timezone: "America/New_York", description: "greeting" });
    expect(first.status).toBe(201);
    expect(first.headers.get("location")).toBe(`/v1/flows/${tn}`);
    const body = (await first.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ tn, mode: "sync", size: new TextEncoder().encode(SIMPLE).length, warnings: [] });
    expect(body.version).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(String(body.createdAt))).not.toBeNaN();

    const again = await publish(tn, SIMPLE, { timezone: "America/New_York", description: "greeting" });
    expect(again.status).toBe(200);
    expect(((await again.json()) as Record<string, unknown>).version).toBe(body.version);

    // Metadata is part of the content: a new zone is a new version.
    const other = await publish(tn, SIMPLE, { timezone: "Europe/Berlin", description: "greeting" });
    expect(other.status).toBe(201);
    expect(((await other.json()) as Record<string, unknown>).version).not.toBe(body.version);
  });

  it("publishes raw XML with options in the query", async ({ expect }) => {
    const tn = freshTn();
    const res = await api(`/v1/flows/${tn}?mode=async&tz=America/Chicago&description=parked`, {
      method: "PUT",
      headers: { "content-type": "text/xml; charset=utf-8" },
      body: SIMPLE,
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ tn, mode: "async" });
    const got = (await (await api(`/v1/flows/${tn}`)).json()) as Record<string, unknown>;
    expect(got).toMatchObject({ tn, mode: "async", timezone: "America/Chicago", description: "parked", xml: SIMPLE, current: true });
  });

  it("normalises the TN: +1 (800) spellings and 10 digits land on the same key", async ({ expect }) => {
    const digits = freshTn();
    const ten = digits.slice(1);
    await publishOk(`+1 (${ten.slice(0, 3)}) ${ten.slice(3, 6)}-${ten.slice(6)}`, SIMPLE);
    const res = await api(`/v1/flows/${ten}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).tn).toBe(digits);
  });

  it("returns warnings beside a success", async ({ expect }) => {
    const tn = freshTn();
    const res = await publish(tn, `<Response><Gather numDigits="1"><Say>Press 1</Say><DTMF value="1"><Hangup/></DTMF></Gather></Response>`);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { warnings: Array<{ severity: string; code: string }> };
    expect(body.warnings.length).toBeGreaterThan(0);
    expect(body.warnings.every((w) => w.severity === "warning")).toBe(true);
    expect(body.warnings.map((w) => w.code)).toContain("no-fallback-branch");
  });

  it("422 lists every diagnostic with line:col for malformed XML", async ({ expect }) => {
    const res = await publish(freshTn(), `<Response>\n  <Say>unclosed\n</Response>`);
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const p = (await res.json()) as Problem;
    expect(p.title).toBe("Invalid flow");
    expect(p.diagnostics?.[0]).toMatchObject({ severity: "error", code: "not-well-formed" });
    expect(p.diagnostics?.[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it("422 for an unknown placeholder, naming it and where it is", async ({ expect }) => {
    const res = await publish(freshTn(), `<Response>\n  <Say>Hi {{caller}}</Say>\n  <Say>{{vars.missing}}</Say>\n</Response>`, {
      variables: { office: "Acme" },
    });
    expect(res.status).toBe(422);
    const p = (await res.json()) as Problem;
    const codes = p.diagnostics?.map((d) => [d.code, d.line]);
    expect(codes).toEqual([
      ["unknown-placeholder", 2],
      ["unknown-placeholder", 3],
    ]);
    expect(p.diagnostics?.[0]?.message).toContain("{{caller}}");
    expect(p.diagnostics?.[1]?.message).toContain("office");
  });

  it("422 when a caller value would fill a typed attribute", async ({ expect }) => {
    const res = await publish(freshTn(), `<Response><Pause length="{{from}}"/></Response>`);
    expect(res.status).toBe(422);
    const p = (await res.json()) as Problem;
    expect(p.diagnostics?.[0]).toMatchObject({ code: "bad-placeholder" });
  });

  it("413 for a body over 256 KiB", async ({ expect }) => {
    const big = `<Response><Say>${"a".repeat(256 * 1024)}</Say></Response>`;
    const raw = await api(`/v1/flows/${freshTn()}`, { method: "PUT", headers: { "content-type": "application/xml" }, body: big });
    expect(raw.status).toBe(413);
    expect(((await raw.json()) as Problem).title).toBe("Payload too large");
    const json = await publish(freshTn(), big);
    expect(json.status).toBe(413);
  });

  it("415 for a wrong content type", async ({ expect }) => {
    const res = await api(`/v1/flows/${freshTn()}`, { method: "PUT", headers: { "content-type": "text/plain" }, body: SIMPLE });
    expect(res.status).toBe(415);
    expect(((await res.json()) as Problem).detail).toContain("text/plain");
  });

  it("400 for a bad TN", async ({ expect }) => {
    for (const tn of ["hello", "12", "1".repeat(16), "800-CALL-NOW"]) {
      const res = await publish(tn, SIMPLE);
      expect(res.status, tn).toBe(400);
      expect(((await res.json()) as Problem).title).toBe("Bad TN");
    }
  });

  it("400 for JSON that fails the schema, naming each field", async ({ expect }) => {
    const res = await publish(freshTn(), SIMPLE, { mode: "later", timezone: "Mars/Olympus", variables: { "bad name": "x" } });
    expect(res.status).toBe(400);
    const p = (await res.json()) as Problem;
    expect(p.errors?.map((e) => e.path).sort()).toEqual(["mode", "timezone", "variables.bad name"]);
    const notJson = await api(`/v1/flows/${freshTn()}`, { method: "PUT", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(notJson.status).toBe(400);
  });

  it("401 without a token, with a wrong token, and with a token of another length", async ({ expect }) => {
    const url = `http://tactflow.test/v1/flows/${freshTn()}`;
    const none = await exports.default.fetch(url, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ xml: SIMPLE }),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    for (const token of ["test-admin-tokex", "x", ""]) {
      const res = await exports.default.fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    }
    const list = await exports.default.fetch("http://tactflow.test/v1/flows");
    expect(list.status).toBe(401);
  });
});

describe("versions, rollback, delete", () => {
  it("lists the history newest first and rolls back to the previous version", async ({ expect }) => {
    const tn = freshTn();
    const v1 = await publishOk(tn, `<Response><Say>one</Say></Response>`);
    const v2 = await publishOk(tn, `<Response><Say>two</Say></Response>`);
    const hist = (await (await api(`/v1/flows/${tn}/versions`)).json()) as {
      current: string;
      versions: Array<{ version: string; at: string; size: number; action: string; current: boolean }>;
    };
    expect(hist.current).toBe(v2.version);
    expect(hist.versions.map((v) => [v.version, v.action, v.current])).toEqual([
      [v2.version, "publish", true],
      [v1.version, "publish", false],
    ]);
    expect(hist.versions[0]!.size).toBe(`<Response><Say>two</Say></Response>`.length);

    const rb = await api(`/v1/flows/${tn}/rollback`, { method: "POST" });
    expect(rb.status).toBe(200);
    expect(await rb.json()).toMatchObject({ tn, version: v1.version, previous: v2.version });
    const xml = await (await api(`/v1/flows/${tn}`, { headers: { accept: "application/xml" } })).text();
    expect(xml).toBe(`<Response><Say>one</Say></Response>`);

    // The webhook serves the rolled-back version at once (same isolate).
    const call = await exports.default.fetch(`http://tactflow.test/v1/callflow?from=1&to=${tn}`);
    expect(call.headers.get("x-tactflow-version")).toBe(v1.version);

    // Rolling forward by a version prefix.
    const fwd = await api(`/v1/flows/${tn}/rollback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: v2.version.slice(0, 10) }),
    });
    expect(fwd.status).toBe(200);
    expect(((await fwd.json()) as { version: string }).version).toBe(v2.version);
    const after = (await (await api(`/v1/flows/${tn}/versions`)).json()) as { versions: Array<{ action: string }> };
    expect(after.versions.map((v) => v.action)).toEqual(["rollback", "rollback", "publish", "publish"]);
  });

  it("409 with nothing to roll back to, 404 for an unknown version or TN", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, SIMPLE);
    expect((await api(`/v1/flows/${tn}/rollback`, { method: "POST" })).status).toBe(409);
    const unknown = await api(`/v1/flows/${tn}/rollback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: "abcdef12" }),
    });
    expect(unknown.status).toBe(404);
    expect((await api(`/v1/flows/${freshTn()}/rollback`, { method: "POST" })).status).toBe(404);
  });

  it("names versions by one rule: 409 for a prefix that fits several, 404 for one that fits none", async ({ expect }) => {
    const tn = freshTn();
    // Publish until two versions share their first hex digit (16 digits: a handful of publishes).
    const seen = new Set<string>();
    let shared: string | undefined;
    for (let i = 0; i < 40 && !shared; i++) {
      const digit = (await publishOk(tn, `<Response><Say>take ${i}</Say></Response>`)).version.slice(0, 1);
      if (seen.has(digit)) shared = digit;
      seen.add(digit);
    }
    expect(shared).toBeDefined();
    const ambiguous = await api(`/v1/flows/${tn}?version=${shared}`);
    expect(ambiguous.status).toBe(409);
    expect(((await ambiguous.json()) as { title: string }).title).toBe("Ambiguous version");

    const json = { "content-type": "application/json" };
    const unknown = [...seen].includes("0") ? "fedc9876" : "0123abcd";
    for (const res of [
      await api(`/v1/flows/${tn}?version=${unknown}`),
      await api(`/v1/flows/${tn}/preview`, { method: "POST", headers: json, body: JSON.stringify({ version: unknown }) }),
      await api(`/v1/flows/${tn}/rollback`, { method: "POST", headers: json, body: JSON.stringify({ version: unknown }) }),
    ]) {
      expect(res.status).toBe(404);
      expect(((await res.json()) as { title: string }).title).toBe("Version not found");
    }
  });

  it("lists TNs and deletes one", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, SIMPLE, { description: "to delete" });
    const list = (await (await api(`/v1/flows`)).json()) as {
      flows: Array<{ tn: string; version: string; description: string; mode: string }>;
    };
    expect(list.flows.find((f) => f.tn === tn)).toMatchObject({ version, description: "to delete", mode: "sync" });

    const del = await api(`/v1/flows/${tn}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await api(`/v1/flows/${tn}`)).status).toBe(404);
    expect((await api(`/v1/flows/${tn}`, { method: "DELETE" })).status).toBe(404);
    const again = (await (await api(`/v1/flows`)).json()) as { flows: Array<{ tn: string }> };
    expect(again.flows.some((f) => f.tn === tn)).toBe(false);
  });
});

describe("POST /v1/flows/{tn}/preview", () => {
  const SCHEDULED = `<Response>
  <Schedule dow="mon-fri" time="09:00:00-17:00:00"><Say>We are open, {{from}}.</Say></Schedule>
  <Schedule dow="sat,sun"><Say>Weekend.</Say></Schedule>
  <Say>{{vars.office}}</Say>
</Response>`;

  it("renders for a caller and a time, in the flow's zone", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, SCHEDULED, { timezone: "America/New_York", variables: { office: "Acme" } });
    // Monday 2026-03-09 14:00 UTC = 10:00 EDT: open.
    const open = await api(`/v1/flows/${tn}/preview`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "+12015550123", at: "2026-03-09T14:00:00Z" }),
    });
    expect(open.status).toBe(200);
    expect(open.headers.get("content-type")).toBe("text/xml; charset=utf-8");
    expect(open.headers.get("x-tactflow-version")).toBe(version);
    const xml = await open.text();
    expect(xml).toContain("<Say>We are open, +12015550123.</Say>");
    expect(xml).not.toContain("Weekend");
    expect(xml).toContain("<Say>Acme</Say>");
    // Monday 2026-03-09 22:00 UTC = 18:00 EDT: closed.
    const closed = await (
      await api(`/v1/flows/${tn}/preview`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from: "1", at: "2026-03-09T22:00:00Z" }),
      })
    ).text();
    expect(closed).not.toContain("open");
  });

  it("400 for a bad time, 404 for a TN without a flow", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, SIMPLE);
    const bad = await api(`/v1/flows/${tn}/preview`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ at: "yesterday" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).errors?.[0]?.path).toBe("at");
    expect((await api(`/v1/flows/${freshTn()}/preview`, { method: "POST" })).status).toBe(404);
  });
});

describe("GET /v1/openapi.json", () => {
  it("describes the flow routes with the publish body schema", async ({ expect }) => {
    const res = await exports.default.fetch("http://tactflow.test/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/callflow",
        "/v1/flows",
        "/v1/flows/{tn}",
        "/v1/flows/{tn}/versions",
        "/v1/flows/{tn}/rollback",
        "/v1/flows/{tn}/preview",
      ]),
    );
    const put = doc.paths["/v1/flows/{tn}"]!["put"]!;
    expect(Object.keys(put.requestBody!.content["application/json"]!.schema.properties ?? {})).toEqual(
      expect.arrayContaining(["xml", "mode", "timezone", "variables", "description", "parkTimeoutMs", "conditions"]),
    );
  });
});
