/**
 * The template engine in plain Node: placeholders, escaping by context, condition blocks,
 * subtree compilation, and equivalence with the XML core's serialiser.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { checkTemplate, compileTemplate, RenderError, stateForNumber, type RenderContext } from "../../src/template/index.ts";
import { checkFlow, elementChildren, parseXml, serialize } from "../../src/xml/index.ts";

const ctx = (over: Partial<RenderContext> = {}): RenderContext => ({
  from: "+12015550123",
  to: "18005550100",
  tn: "18005550100",
  call: "call-1",
  sca: "sca-1",
  now: new Date("2026-03-09T14:00:00Z"),
  vars: {},
  ...over,
});

function compile(xml: string, options: Parameters<typeof compileTemplate>[1] = {}) {
  const { document } = parseXml(xml);
  if (!document) throw new Error("fixture does not parse");
  return compileTemplate(document.root, options);
}

describe("placeholders", () => {
  it("fills every call placeholder, in text and attributes", ({ expect }) => {
    const t = compile(`<Response><Say tag="{{call}}">{{from}} {{to}} {{tn}} {{call}} {{sca}} {{now}}</Say></Response>`, { indent: "" });
    expect(t.ok).toBe(true);
    expect(t.placeholders).toEqual(["call", "from", "now", "sca", "tn", "to"]);
    expect(t.render(ctx())).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Say tag="call-1">+12015550123 18005550100 18005550100 call-1 sca-1 2026-03-09T14:00:00.000Z</Say></Response>`,
    );
  });

  it("tolerates spaces inside the braces", ({ expect }) => {
    expect(compile(`<Response><Say>{{ from }}</Say></Response>`, { indent: "" }).render(ctx())).toContain("<Say>+12015550123</Say>");
  });

  it("reports unknown and malformed placeholders with their position", ({ expect }) => {
    const r = checkTemplate(
      `<Response>\n  <Say>{{form}}</Say>\n  <Say text="{{vars.nope}}"/>\n  <Say>{{from</Say>\n  <Say>{{}}</Say>\n  <Say>{{vars.9x}}</Say>\n</Response>`,
      {
        variables: { greeting: "hi" },
      },
    );
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ["unknown-placeholder", 2],
      ["unknown-placeholder", 3],
      ["bad-placeholder", 4],
      ["bad-placeholder", 5],
      ["bad-placeholder", 6],
    ]);
    expect(r.diagnostics[0]!.message).toContain("did you mean {{from}}");
  });

  it("refuses placeholders in tag and attribute names", ({ expect }) => {
    for (const xml of [
      `<Response><{{from}}/></Response>`,
      `<Response><Say {{from}}="x">a</Say></Response>`,
      `<Response><Say a{{to}}="1">a</Say></Response>`,
    ]) {
      const r = checkTemplate(xml);
      expect(r.ok, xml).toBe(false);
      expect(r.diagnostics[0]!.code).toBe("not-well-formed");
    }
  });

  it("accepts {{digits}} and {{gather.NODE}} and renders them empty until a Gather fills them", ({ expect }) => {
    const t = compile(`<Response><Say>[{{digits}}][{{gather.pin}}]</Say></Response>`, { indent: "", variables: {} });
    expect(t.ok).toBe(true);
    expect(t.render(ctx())).toContain("<Say>[][]</Say>");
    expect(t.render(ctx({ digits: "42", gather: { pin: "1234" } }))).toContain("<Say>[42][1234]</Say>");
  });

  it("never reads variables off Object.prototype", ({ expect }) => {
    const t = compile(`<Response><Say>[{{vars.constructor}}][{{vars.__proto__}}]</Say></Response>`, { indent: "" });
    expect(t.render(ctx())).toContain("<Say>[][]</Say>");
  });

  it("only {{vars.X}} fills a typed attribute, and its declared value is checked", ({ expect }) => {
    const caller = checkTemplate(`<Response><Gather timeout="{{from}}"><Say>x</Say></Gather></Response>`);
    expect(caller.diagnostics.map((d) => d.code)).toEqual(["bad-placeholder"]);
    const good = checkTemplate(`<Response><Gather timeout="{{vars.t}}"><Say>x</Say></Gather></Response>`, { variables: { t: "8000" } });
    expect(good.ok).toBe(true);
    expect(good.compiled!.render(ctx({ vars: { t: "8000" } }))).toContain('<Gather timeout="8000">');
    const bad = checkTemplate(`<Response><Gather timeout="{{vars.t}}"><Say>x</Say></Gather></Response>`, { variables: { t: "soon" } });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]).toMatchObject({ code: "bad-attribute", attribute: "timeout" });
  });
});

describe("escaping by context", () => {
  const doc = `<Response>
  <Say>{{from}}</Say>
  <Say text="{{from}}"/>
  <Play>https://cdn.example.org/a.mp3?who={{from}}</Play>
  <Gather url="https://x.example/g?ani={{from}}&amp;v={{vars.v}}"><Say>p</Say></Gather>
</Response>`;
  const t = compile(doc, { indent: "", variables: { v: "a&b" } });

  it("text, attribute and URL each get their own escaping", ({ expect }) => {
    const out = t.render(ctx({ from: `"><Record/>&x=1`, vars: { v: "a&b" } }));
    expect(out).toContain(`<Say>"&gt;&lt;Record/&gt;&amp;x=1</Say>`);
    expect(out).toContain(`<Say text="&quot;&gt;&lt;Record/&gt;&amp;x=1"/>`);
    expect(out).toContain(`<Play>https://cdn.example.org/a.mp3?who=%22%3E%3CRecord%2F%3E%26x%3D1</Play>`);
    // The author's variable is trusted in a URL (not percent-encoded) but still attribute-escaped.
    expect(out).toContain(`url="https://x.example/g?ani=%22%3E%3CRecord%2F%3E%26x%3D1&amp;v=a&amp;b"`);
    expect(out).not.toContain("<Record");
  });

  it("a caller value in a Dial destination fills the user part only, never the host or parameters", ({ expect }) => {
    const dial = compile(
      `<Response><Dial><To>sip:{{from}}@pbx.example.org</To><Number>{{from}}</Number><Sip>{{vars.desk}}</Sip></Dial></Response>`,
      {
        indent: "",
        variables: { desk: "1000@pbx.example.org:5060" },
      },
    );
    const out = dial.render(ctx({ from: "attacker@evil.example;transport=tcp?x=<y>", vars: { desk: "1000@pbx.example.org:5060" } }));
    expect(out).toContain("<To>sip:attacker%40evil.example%3Btransport%3Dtcp%3Fx%3D%3Cy%3E@pbx.example.org</To>");
    expect(out).toContain("<Number>attacker%40evil.example%3Btransport%3Dtcp%3Fx%3D%3Cy%3E</Number>");
    // Phone numbers and the flow's own variables pass unchanged.
    expect(dial.render(ctx({ from: "+1 (201) 555-0123", vars: { desk: "1000@pbx.example.org:5060" } }))).toContain(
      "<Number>+1%20%28201%29%20555-0123</Number><Sip>1000@pbx.example.org:5060</Sip>",
    );
    expect(dial.render(ctx({ from: "+12015550123", vars: { desk: "1000@pbx.example.org:5060" } }))).toContain(
      "<Number>+12015550123</Number>",
    );
  });

  it("drops characters XML cannot carry and keeps whitespace controls as references in attributes", ({ expect }) => {
    const out = t.render(ctx({ from: "a\u0000b\u0007c\r\n\td\uFFFE\uD800" }));
    expect(out).toContain("<Say>abc&#13;\n\td</Say>");
    expect(out).toContain(`<Say text="abc&#13;&#10;&#9;d"/>`);
    expect(checkFlow(out).ok).toBe(true);
  });

  it("any caller id keeps the document well-formed with the same elements (property)", ({ expect }) => {
    const shape = (xml: string) => {
      const r = checkFlow(xml);
      const walk = (el: NonNullable<typeof r.document>["root"]): string =>
        `${el.name}(${el.attrs.map((a) => a.name).join(",")})[${elementChildren(el).map(walk).join("")}]`;
      return r.document ? walk(r.document.root) : "not-well-formed";
    };
    const expected = shape(t.render(ctx({ from: "1" })));
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (from) => {
        expect(shape(t.render(ctx({ from }))), JSON.stringify(from)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe("compilation", () => {
  it("renders byte-identical to serialize() when nothing varies", ({ expect }) => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Answer delay="500"/>
  <Say lang="es-US" loop="2">Gracias &amp; adiós</Say>
  <Gather numDigits="1" attempts="3">
    <Say>Press 1</Say>
    <Switch>
      <Case dtmf="1"><Say>one</Say></Case>
      <Default><Say>no</Say></Default>
    </Switch>
  </Gather>
  <Dial><To>sip:desk@example.org</To><Error say="true"><Hangup/></Error></Dial>
</Response>`;
    const doc = parseXml(xml).document!;
    for (const indent of ["  ", "", "\t"]) {
      expect(compile(xml, { indent }).render(ctx())).toBe(serialize(doc, { declaration: true, indent }));
    }
  });

  it("compiles any subtree, e.g. a synthetic Response around a branch", ({ expect }) => {
    const doc = parseXml(
      `<Response><Gather><Say>Menu</Say><DTMF value="1"><Say>Sales for {{from}}</Say></DTMF></Gather><Hangup/></Response>`,
    ).document!;
    const gather = elementChildren(doc.root)[0]!;
    const branch = elementChildren(gather)[1]!;
    const t = compileTemplate(branch, { indent: "" });
    expect(t.render(ctx())).toBe(`<DTMF value="1"><Say>Sales for +12015550123</Say></DTMF>`);
    expect(compileTemplate(branch, { indent: "", declaration: true }).render(ctx())).toMatch(/^<\?xml/);
  });

  it("a template with errors throws RenderError instead of rendering", ({ expect }) => {
    const t = compile(`<Response><Say>{{nope}}</Say></Response>`);
    expect(t.ok).toBe(false);
    expect(() => t.render(ctx())).toThrow(RenderError);
  });

  it("fails a render over the output budget", ({ expect }) => {
    const t = compile(`<Response><Say>{{from}}</Say></Response>`, { maxOutputChars: 100 });
    expect(() => t.render(ctx({ from: "x".repeat(200) }))).toThrow(/budget/);
  });

  it("drops comments: notes for authors, not for the platform", ({ expect }) => {
    expect(compile(`<Response><!-- secret --><Say>hi</Say></Response>`, { indent: "" }).render(ctx())).not.toContain("secret");
  });
});

describe("condition blocks", () => {
  it("<Call> keeps its children only when the field matches; phone numbers match with or without the 1", ({ expect }) => {
    const t = compile(`<Response><Call field="from" value="2015550123"><Say>vip</Say></Call><Say>all</Say></Response>`, { indent: "" });
    expect(t.render(ctx())).toContain("<Response><Say>vip</Say><Say>all</Say></Response>");
    expect(t.render(ctx({ from: "+12015550124" }))).toContain("<Response><Say>all</Say></Response>");
  });

  it("<Call> compares numbers, booleans and null by value", ({ expect }) => {
    const t = compile(
      `<Response><Call field="duration" value="0"><Say>zero</Say></Call><Call field="sip_control_app.auto_answer" value="true"><Say>auto</Say></Call><Call field="parent" value="null"><Say>no parent</Say></Call></Response>`,
      { indent: "" },
    );
    const out = t.render(ctx({ entity: { duration: 0, sip_control_app: { auto_answer: true } } }));
    expect(out).toContain("<Say>zero</Say><Say>auto</Say><Say>no parent</Say>");
    expect(t.render(ctx({ entity: { duration: 3, parent: { uuid: "p" } } }))).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response/>`);
  });

  it("<Geo states> uses the caller's area code; county passes through to the platform", ({ expect }) => {
    const t = compile(
      `<Response><Geo states="NJ,NY"><Say>east</Say></Geo><Geo states="NJ" county="ESSEX"><Say>essex</Say></Geo><Geo><Say>anywhere</Say></Geo></Response>`,
      { indent: "" },
    );
    const nj = t.render(ctx({ from: "+19735550100" }));
    expect(nj).toContain(`<Say>east</Say><Geo states="NJ" county="ESSEX"><Say>essex</Say></Geo><Say>anywhere</Say>`);
    const ca = t.render(ctx({ from: "+14155550100" }));
    expect(ca).toContain(`<Response><Say>anywhere</Say></Response>`);
    const intl = t.render(ctx({ from: "+442071234567" }));
    expect(intl).toContain(`<Response><Say>anywhere</Say></Response>`);
  });

  it("nested blocks and indentation: an evaluated block leaves its children at its own depth", ({ expect }) => {
    const xml = `<Response>\n  <Schedule dow="mon">\n    <Call field="to" value="8005550100">\n      <Say>monday main line</Say>\n    </Call>\n  </Schedule>\n  <Hangup/>\n</Response>`;
    expect(compile(xml).render(ctx())).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>monday main line</Say>\n  <Hangup/>\n</Response>\n`,
    );
    expect(compile(xml).render(ctx({ now: new Date("2026-03-10T14:00:00Z") }))).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Hangup/>\n</Response>\n`,
    );
  });

  it("platform mode keeps every block as written", ({ expect }) => {
    const xml = `<Response><Schedule dow="sat"><Say>{{from}}</Say></Schedule></Response>`;
    expect(compile(xml, { indent: "", conditions: "platform" }).render(ctx())).toContain(
      `<Schedule dow="sat"><Say>+12015550123</Say></Schedule>`,
    );
  });

  it("a window that wraps midnight, and Scheduler spelled the old way", ({ expect }) => {
    const t = compile(`<Response><Scheduler time="22:00:00-06:00:00"><Say>night</Say></Scheduler></Response>`, { indent: "" });
    expect(t.render(ctx({ now: new Date("2026-03-09T23:30:00Z") }))).toContain("night");
    expect(t.render(ctx({ now: new Date("2026-03-09T05:59:59Z") }))).toContain("night");
    expect(t.render(ctx({ now: new Date("2026-03-09T12:00:00Z") }))).not.toContain("night");
  });

  it("schedule boundaries across the spring DST change in America/Los_Angeles", ({ expect }) => {
    const t = compile(`<Response><Schedule dow="mon-fri" time="08:00:00-08:59:59"><Say>early</Say></Schedule></Response>`, { indent: "" });
    const at = (iso: string) => t.render(ctx({ now: new Date(iso), timezone: "America/Los_Angeles" })).includes("early");
    // Friday 2026-03-06, PST (UTC-8): 08:00 local = 16:00Z.
    expect(at("2026-03-06T15:59:59Z")).toBe(false);
    expect(at("2026-03-06T16:00:00Z")).toBe(true);
    // Monday 2026-03-09, PDT (UTC-7): 08:00 local = 15:00Z; 16:00Z is already 09:00.
    expect(at("2026-03-09T15:00:00Z")).toBe(true);
    expect(at("2026-03-09T16:00:00Z")).toBe(false);
  });

  it("an unknown zone at render time is a RenderError, not a guess", ({ expect }) => {
    const t = compile(`<Response><Schedule time="09:00:00-10:00:00"><Say>x</Say></Schedule></Response>`);
    expect(() => t.render(ctx({ timezone: "Nowhere/Special" }))).toThrow(RenderError);
  });
});

describe("area codes", () => {
  it("maps NANP numbers to USPS codes and everything else to null", ({ expect }) => {
    expect(stateForNumber("+1 (973) 555-0100")).toBe("NJ");
    expect(stateForNumber("2125550100")).toBe("NY");
    expect(stateForNumber("17875550100")).toBe("PR");
    expect(stateForNumber("18005550100")).toBeNull();
    expect(stateForNumber("+442071234567")).toBeNull();
    expect(stateForNumber("")).toBeNull();
  });
});
