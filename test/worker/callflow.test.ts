/**
 * The call-flow webhook (docs/opentact.md §a.2, a.3): always 200 text/xml, the TN's flow rendered with the
 * call's values, the catch-all for unknown TNs, and the fallback document for every failure.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import app from "../../src/index.ts";
import { BUILTIN_FALLBACK_XML } from "../../src/callflow/fallback.ts";
import { checkFlow, elementChildren, type ElementNode } from "../../src/xml/index.ts";
import { api, freshTn, publishOk, webhook } from "./helpers/flows.ts";

const XML_TYPE = "text/xml; charset=utf-8";

/** Call the Worker with a different env (a token set, a broken KV…). */
function withEnv(overrides: Partial<Env>, path: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(app.fetch(new Request(`http://tactflow.test${path}`, init), { ...env, ...overrides }));
}

const GREETING = `<Response>
  <Say>Hello {{from}}, this is {{tn}} for call {{call}} via {{sca}}.</Say>
  <Hangup/>
</Response>`;

beforeAll(async () => {
  // The first request in a fresh isolate pays for module setup; keep it out of the timed tests.
  await api(`/v1/flows/${freshTn()}`);
}, 30_000);

describe("rendering a TN's flow", () => {
  it("answers 200 text/xml with the call's values in place", async ({ expect }) => {
    const tn = freshTn();
    const { version } = await publishOk(tn, GREETING);
    const res = await webhook(`from=%2B12015550123&to=${tn}&call=c-1&sca=app-9`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(XML_TYPE);
    expect(res.headers.get("x-tactflow-version")).toBe(version);
    expect(await res.text()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hello +12015550123, this is ${tn} for call c-1 via app-9.</Say>\n  <Hangup/>\n</Response>\n`,
    );
  });

  it("matches the TN with and without + and the leading 1, and through the aliases", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    for (const q of [`to=${tn}`, `to=%2B${tn}`, `to=${tn.slice(1)}`, `dnis=${tn}`, `tn=${tn.slice(1)}`]) {
      const res = await webhook(`ani=555&${q}`);
      expect(res.headers.get("x-tactflow-fallback"), q).toBeNull();
      expect(await res.text(), q).toContain("Hello 555");
    }
  });

  it("reads the call entity from a POST body; the query wins over the body", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    const entity = {
      uuid: "call-uuid-1",
      direction: "in",
      from: "+18389999168",
      to: Number(tn),
      state: "live",
      type: "CallSCA",
      sip_control_app: { uuid: "sca-uuid-2", name: "demo" },
    };
    const res = await webhook("", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(entity) });
    expect(await res.text()).toContain(`Hello +18389999168, this is ${tn} for call call-uuid-1 via sca-uuid-2.`);
    const wrapped = await webhook("from=42", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ history: [], call: entity }),
    });
    expect(await wrapped.text()).toContain("Hello 42,");
    const form = await webhook("", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `from=777&to=${tn}&call_uuid=f-1`,
    });
    expect(await form.text()).toContain("Hello 777, this is");
  });

  it("shrugs off a body it can't read", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    const res = await webhook(`to=${tn}&from=1`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Hello 1,");
  });

  it("evaluates <Call field> against the call entity", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(
      tn,
      `<Response><Call field="from" value="15551230000"><Say>Boss</Say></Call><Call field="sip_control_app.name" value="demo"><Say>Demo app</Say></Call><Say>Hi</Say></Response>`,
    );
    const boss = await (await webhook(`from=%2B15551230000&to=${tn}`)).text();
    expect(boss).toContain("<Say>Boss</Say>");
    expect(boss).not.toContain("<Call");
    const other = await (await webhook(`from=5551230001&to=${tn}`)).text();
    expect(other).not.toContain("Boss");
    const demo = await (
      await webhook("", { method: "POST", body: JSON.stringify({ from: "1", to: tn, sip_control_app: { name: "demo" } }) })
    ).text();
    expect(demo).toContain("Demo app");
  });

  it("keeps condition blocks for the platform when the flow says so", async ({ expect }) => {
    const tn = freshTn();
    const xml = `<Response><Schedule dow="mon-fri" time="09:00:00-17:00:00"><Say>open</Say></Schedule><Geo states="NJ"><Say>{{from}}</Say></Geo></Response>`;
    await publishOk(tn, xml, { conditions: "platform" });
    const out = await (await webhook(`from=%26&to=${tn}`)).text();
    expect(out).toContain('<Schedule dow="mon-fri" time="09:00:00-17:00:00">');
    expect(out).toContain('<Geo states="NJ">');
    expect(out).toContain("<Say>&amp;</Say>");
  });
});

describe("the catch-all and the fallback", () => {
  it("an unknown TN with no catch-all gets the built-in fallback, 200", async ({ expect }) => {
    const res = await webhook(`from=1&to=${freshTn()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(XML_TYPE);
    expect(res.headers.get("x-tactflow-fallback")).toBe("no-flow");
    expect(await res.text()).toBe(BUILTIN_FALLBACK_XML);
    // No `to` at all: still a document.
    const bare = await webhook("");
    expect(bare.status).toBe(200);
    expect(await bare.text()).toBe(BUILTIN_FALLBACK_XML);
  });

  it("FALLBACK_XML replaces the built-in fallback; an invalid one doesn't", async ({ expect }) => {
    const custom = `<Response><Say>Custom goodbye</Say><Hangup/></Response>`;
    const res = await withEnv({ FALLBACK_XML: custom }, `/v1/callflow?to=${freshTn()}`);
    expect(await res.text()).toBe(custom);
    const broken = await withEnv({ FALLBACK_XML: "<Response><Say>oops</Response>" }, `/v1/callflow?to=${freshTn()}`);
    expect(await broken.text()).toBe(BUILTIN_FALLBACK_XML);
  });

  it("the catch-all * answers TNs without a flow, with {{tn}} the dialled number", async ({ expect }) => {
    const own = freshTn();
    await publishOk(own, `<Response><Say>own</Say></Response>`);
    const { version } = await publishOk("*", `<Response><Say>catch-all for {{tn}}</Say></Response>`);
    try {
      const other = freshTn();
      const res = await webhook(`from=1&to=${other.slice(1)}`);
      expect(res.headers.get("x-tactflow-version")).toBe(version);
      expect(await res.text()).toContain(`catch-all for ${other}`);
      expect(await (await webhook(`from=1&to=${own}`)).text()).toContain("own");
    } finally {
      await api("/v1/flows/*", { method: "DELETE" });
    }
  });

  it("a KV failure gives the fallback document", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    const broken = new Proxy(env.FLOWS, {
      get(target, prop) {
        if (prop === "get" || prop === "getWithMetadata") return () => Promise.reject(new Error("KV is down"));
        return Reflect.get(target, prop);
      },
    });
    const res = await withEnv({ FLOWS: broken }, `/v1/callflow?from=1&to=${tn}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(XML_TYPE);
    expect(res.headers.get("x-tactflow-fallback")).toBe("kv-error");
    expect(await res.text()).toBe(BUILTIN_FALLBACK_XML);
  });

  it("a KV read slower than the budget gives the fallback document", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    const slow = new Proxy(env.FLOWS, {
      get(target, prop) {
        if (prop === "get") return () => new Promise((resolve) => setTimeout(() => resolve(null), 2000));
        return Reflect.get(target, prop);
      },
    });
    const res = await withEnv({ FLOWS: slow, CALLFLOW_BUDGET_MS: "50" }, `/v1/callflow?from=1&to=${tn}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-tactflow-fallback")).toBe("budget-exceeded");
    expect(await res.text()).toBe(BUILTIN_FALLBACK_XML);
  });

  it("a render over the output budget gives the fallback document", async ({ expect }) => {
    const tn = freshTn();
    // 120 copies of a 9 kB caller id is over the 1 MiB render budget.
    await publishOk(tn, `<Response>${"<Say>{{from}}</Say>".repeat(120)}</Response>`);
    const res = await webhook("", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: tn, from: "9".repeat(9000) }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-tactflow-fallback")).toBe("render-error");
    expect(await res.text()).toBe(BUILTIN_FALLBACK_XML);
  });
});

describe("WEBHOOK_TOKEN", () => {
  it("when set, ?token= must match: 401 otherwise", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, GREETING);
    const secret = { WEBHOOK_TOKEN: "hook-secret" };
    const ok = await withEnv(secret, `/v1/callflow?from=1&to=${tn}&token=hook-secret`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Hello 1");
    for (const q of ["", "&token=hook-secreT", "&token=", "&token=hook-secret-and-more"]) {
      const res = await withEnv(secret, `/v1/callflow?from=1&to=${tn}${q}`);
      expect(res.status, q).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});

describe("hostile caller ids", () => {
  /** Tag names and attribute names, in document order: what an injection would change. */
  function shape(el: ElementNode): string {
    return `${el.name}[${el.attrs.map((a) => a.name).join(",")}](${elementChildren(el).map(shape).join(" ")})`;
  }

  const HOSTILE = `<Response>
  <Say>Caller {{from}} called {{to}}</Say>
  <Say text="{{from}}" tag="t-{{call}}"/>
  <Play>https://cdn.example.org/greet.mp3?caller={{from}}</Play>
  <Gather numDigits="1" url="https://example.org/menu?ani={{from}}&amp;call={{call}}"><Say>Press 1</Say></Gather>
  <Dial><To>sip:{{from}}@pbx.example.org</To></Dial>
  <Hangup/>
</Response>`;

  it("never change the document's structure", async ({ expect }) => {
    const tn = freshTn();
    await publishOk(tn, HOSTILE);
    const benign = checkFlow(await (await webhook(`from=1&to=${tn}&call=c`)).text());
    expect(benign.ok).toBe(true);
    const expected = shape(benign.document!.root);

    const nasty = fc.oneof(
      fc.constantFrom(
        `"><Record/>`,
        "&",
        "&amp;",
        "]]>",
        "<!--",
        "\u0000\u0001\u001f\u0008",
        "\r\n\t",
        "'\"<>&",
        "\uD800",
        "\uFFFE",
        `?x=1&y=<Hangup/>`,
      ),
      fc.string({ unit: "binary", maxLength: 64 }),
      fc.string({ minLength: 10_000, maxLength: 10_240 }),
    );
    await fc.assert(
      fc.asyncProperty(nasty, nasty, async (from, call) => {
        const res = await webhook("", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ to: tn, from, uuid: call }),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-tactflow-fallback")).toBeNull();
        const checked = checkFlow(await res.text());
        // Well-formed, and no tag or attribute out of place. (An all-blank caller id can leave
        // <Say text=""> with nothing to say: the template's choice, not an injection.)
        expect(checked.diagnostics.filter((d) => d.severity === "error" && d.code !== "missing-requirement")).toEqual([]);
        expect(shape(checked.document!.root)).toBe(expected);
        // The value arrives intact in text, minus what XML cannot carry at all.
        const say = elementChildren(checked.document!.root)[0]!;
        const kept = from.replace(
          /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
          "",
        );
        expect(say.children.map((c) => (c.type === "text" ? c.value : "")).join("")).toBe(`Caller ${kept} called ${tn}`);
        // The caller fills the SIP user part only: the host, scheme and parameters stay the author's.
        const to = checked.document!.root.children.flatMap((c) =>
          c.type === "element" && c.kind === "Dial" ? elementChildren(c) : [],
        )[0]!;
        const target = to.children.map((c) => (c.type === "text" ? c.value : "")).join("");
        expect(target).toMatch(/^sip:[A-Za-z0-9+\-._~*#%]*@pbx\.example\.org$/);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });
});
