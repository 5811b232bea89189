/**
 * Every numeric attribute has a documented range (src/xml/tags.ts, shown in the tag table), and a
 * value outside it is refused at its line and column with the range in the message — at publish
 * for a literal, at render for a `{{vars.X}}` (the render then fails, so the caller gets the
 * fallback document instead of a number the platform was never meant to see). Lists that name
 * nothing (`states=""`, `",,,"`) are refused too: an empty list would match every caller.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkTemplate, RenderError, type RenderContext } from "../../src/template/index.ts";
import { attrSpecFor, checkFlow, specForKind, TAG_SPECS, type AttrType, type TagKind } from "../../src/xml/index.ts";

type Numeric = Extract<AttrType, { t: "ms" | "int" }>;

/** A document in which `<kind attr=value>` is the only thing that could be wrong. */
const HOSTS: Partial<Record<TagKind, (attr: string) => string>> = {
  Answer: (a) => `<Answer ${a}/>`,
  Say: (a) => `<Say ${a}>Hello</Say>`,
  Play: (a) => `<Play ${a}>https://example.org/a.mp3</Play>`,
  Pause: (a) => `<Pause ${a}/>`,
  Record: (a) => `<Record ${a}/>`,
  Dial: (a) => `<Dial ${a}><To>sip:desk@example.org</To></Dial>`,
  Gather: (a) => `<Gather ${a}><Say>Press</Say></Gather>`,
  Callback: (a) => `<Callback ${a} url="https://example.org/next"/>`,
  Hold: (a) => `<Hold ${a}/>`,
};

/** Every numeric attribute of every tag, with its range. */
const NUMERIC = TAG_SPECS.flatMap((spec) =>
  spec.attrs
    .filter((a): a is typeof a & { type: Numeric } => a.type.t === "ms" || a.type.t === "int")
    .map((a) => {
      const host = HOSTS[spec.kind];
      if (!host) throw new Error(`no host document for <${spec.kind}>: add one to HOSTS`);
      const min = a.type.t === "ms" ? 0 : a.type.min;
      return {
        kind: spec.kind,
        attr: a.name,
        min,
        max: a.type.max,
        doc: (v: string) => `<Response>\n  ${host(`${a.name}="${v}"`)}\n</Response>`,
      };
    }),
);

function errorAt(xml: string, attr: string) {
  const r = checkFlow(xml);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(false);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ code: "bad-attribute", attribute: attr, line: 2 });
  return errors[0]!;
}

describe("numeric attributes have a range", () => {
  it("covers every numeric attribute, and the documented ones", () => {
    const ranges = Object.fromEntries(NUMERIC.map((n) => [`${n.kind}.${n.attr}`, [n.min, n.max]]));
    expect(ranges).toMatchObject({
      "Gather.numDigits": [1, 64],
      "Gather.timeout": [0, 86_400_000],
      "Pause.length": [0, 86_400_000],
      "Gather.attempts": [1, 100],
      "Say.loop": [1, 100],
    });
    expect(NUMERIC.length).toBeGreaterThanOrEqual(11);
  });

  it.each(NUMERIC.map((n) => [`<${n.kind} ${n.attr}>`, n] as const))(
    "%s: the bounds publish, one past them is an error naming the range",
    (_l, n) => {
      expect(checkFlow(n.doc(String(n.min))).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(checkFlow(n.doc(String(n.max))).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const over = errorAt(n.doc(String(n.max + 1)), n.attr);
      expect(over.message).toContain(`from ${n.min} to ${n.max}`);
      expect(over.col).toBe(n.doc("").split("\n")[1]!.indexOf(`${n.attr}=`) + 1);
      // Hundreds of digits: refused, not rounded into range or sent on verbatim.
      expect(errorAt(n.doc("9".repeat(300)), n.attr).message).toContain(`from ${n.min} to ${n.max}`);
      expect(errorAt(n.doc(`1${"0".repeat(40)}`), n.attr).message).toContain(String(n.max));
    },
  );

  it("attempts below 1 stays a warning (treated as one try), above the range an error", () => {
    const zero = checkFlow(`<Response><Gather attempts="0"><Say>Press</Say></Gather></Response>`);
    expect(zero.ok).toBe(true);
    expect(zero.diagnostics[0]).toMatchObject({ severity: "warning", attribute: "attempts" });
    expect(checkFlow(`<Response><Gather attempts="101"><Say>Press</Say></Gather></Response>`).ok).toBe(false);
  });
});

const ctx = (vars: Record<string, string>): RenderContext => ({
  from: "+12015550123",
  to: "18005550100",
  tn: "18005550100",
  call: "",
  sca: "",
  now: new Date("2026-03-09T14:00:00Z"),
  vars,
});

function renderError(render: () => string): RenderError {
  try {
    render();
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw err;
  }
  throw new Error("expected a RenderError");
}

describe("a {{vars.X}} in a numeric attribute is checked with the same range", () => {
  const xml = `<Response>\n  <Pause length="{{vars.t}}"/>\n</Response>`;

  it("at publish, against the declared value", () => {
    expect(checkTemplate(xml, { variables: { t: "1000" } }).ok).toBe(true);
    const bad = checkTemplate(xml, { variables: { t: "86400001" } });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]).toMatchObject({ code: "bad-attribute", line: 2, attribute: "length" });
    expect(bad.diagnostics[0]!.message).toContain("from 0 to 86400000");
  });

  it("at render, against the value the render is given (a preview can override it)", () => {
    const t = checkTemplate(xml, { variables: { t: "1000" } });
    if (!t.ok) throw new Error("expected a clean template");
    expect(t.compiled.render(ctx({ t: "1000" }))).toContain('<Pause length="1000"/>');
    for (const v of ["86400001", "9".repeat(300), "-1", "soon", ""]) {
      const err = renderError(() => t.compiled.render(ctx({ t: v })));
      expect(err.code).toBe("bad-value");
      expect(err.message).toContain("2:10");
      expect(err.message).toContain("from 0 to 86400000");
    }
  });

  it("a condition left to the platform is checked the same way", () => {
    const platform = checkTemplate(`<Response><Schedule dow="{{vars.d}}"><Hangup/></Schedule></Response>`, {
      variables: { d: "mon" },
      conditions: "platform",
    });
    if (!platform.ok) throw new Error("expected a clean template");
    expect(renderError(() => platform.compiled.render(ctx({ d: ",," }))).code).toBe("bad-value");
  });
});

describe("lists that name nothing are errors", () => {
  it.each(['states=""', 'states=",,,"', 'states=" , "'])("<Geo %s>", (attr) => {
    const d = errorAt(`<Response>\n  <Geo ${attr}><Hangup/></Geo>\n</Response>`, "states");
    expect(d.message).toContain("at least one");
  });

  it.each(['dow=""', 'dow=",,"', 'dow=" "'])("<Schedule %s>", (attr) => {
    expect(errorAt(`<Response>\n  <Schedule ${attr}><Hangup/></Schedule>\n</Response>`, "dow").message).toContain("at least one");
  });

  it.each(['county=""', 'county="  "'])("<Geo %s>", (attr) => {
    const d = errorAt(`<Response>\n  <Geo states="NJ" ${attr}><Hangup/></Geo>\n</Response>`, "county");
    expect(d.message).toContain("would match every caller");
  });

  it("a <Geo> without states still means every caller", () => {
    expect(checkFlow(`<Response><Geo county="Bergen"><Hangup/></Geo></Response>`).ok).toBe(true);
  });

  it("a {{vars.X}} list: empty when declared is refused at publish, empty at render fails the render", () => {
    const xml = `<Response><Geo states="{{vars.s}}"><Say>East</Say></Geo></Response>`;
    expect(checkTemplate(xml, { variables: { s: "" } }).ok).toBe(false);
    const t = checkTemplate(xml, { variables: { s: "NJ" } });
    if (!t.ok) throw new Error("expected a clean template");
    expect(t.compiled.render(ctx({ s: "NJ" }))).toContain("East");
    expect(t.compiled.render(ctx({ s: "CA" }))).not.toContain("East");
    expect(renderError(() => t.compiled.render(ctx({ s: ",," }))).code).toBe("bad-condition");
  });
});

describe("property: no value out of range ever publishes or renders", () => {
  const digits = fc.stringMatching(/^[0-9]{1,20}$/);
  const value = fc.oneof(
    digits,
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
    fc.integer({ min: -5, max: 86_400_005 }).map(String),
    fc.constantFrom("0", "1", "64", "65", "100", "101", "86400000", "86400001", " 5 ", "1e3", "0x10", "5.0", "+5", "٣"),
    fc.string({ maxLength: 8 }),
  );
  const which = fc.constantFrom(...NUMERIC);

  it("a literal value publishes only inside its attribute's range", () => {
    fc.assert(
      fc.property(which, value, (n, v) => {
        // Published as the API publishes: the XML core and the template checks together.
        const r = checkTemplate(n.doc(v.replace(/[&<"]/g, "")), { variables: {} });
        if (!r.ok) return;
        const el = r.document!.root.children.find((c) => c.type === "element")!;
        if (el.type !== "element") throw new Error("no element");
        const written = el.attrs.find((a) => a.name === n.attr)!.value.trim();
        const num = Number(written);
        const lowOk = n.attr === "attempts" ? num >= 0 : num >= n.min;
        expect(/^\d+$/.test(written) && lowOk && num <= n.max, `${n.kind}.${n.attr}=${JSON.stringify(written)}`).toBe(true);
        expect(attrSpecFor(specForKind(n.kind)!, n.attr)).toBeDefined();
      }),
      { numRuns: 3000 },
    );
  });

  it("a {{vars.X}} value renders only inside the range; anything else is a RenderError", () => {
    fc.assert(
      fc.property(which, value, (n, v) => {
        const t = checkTemplate(n.doc("{{vars.v}}"), { variables: { v: String(n.max) } });
        if (!t.ok) throw new Error(JSON.stringify(t.diagnostics));
        let out: string;
        try {
          out = t.compiled.render(ctx({ v }));
        } catch (err) {
          expect(err).toBeInstanceOf(RenderError);
          return;
        }
        const written = new RegExp(`${n.attr}="([^"]*)"`).exec(out)?.[1]?.trim() ?? "";
        const num = Number(written);
        const lowOk = n.attr === "attempts" ? num >= 0 : num >= n.min;
        expect(/^\d+$/.test(written) && lowOk && num <= n.max, `${n.kind}.${n.attr}=${JSON.stringify(written)}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
