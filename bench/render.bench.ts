/**
 * Rendering a flow for one call, four ways, on the same templates (bench/fixtures/render-*.xml)
 * and the same call values:
 *
 * 1. **compiled** — tactflow's hot path: the template compiled once (src/template), then `render(ctx)`;
 * 2. **parse+build** — per request: parse the template with fast-xml-parser, substitute the
 *    placeholders in the tree, build the document with fast-xml-parser's XMLBuilder;
 * 3. **twilio** — twilio's `VoiceResponse` building the same document per request (its typed verbs
 *    where TwiML has them — say, play, pause, gather, dial, record, hangup — `addChild` for
 *    Opentact-only tags), then `toString()`;
 * 4. **literal** — one template literal with `${escape(value)}` holes: the practical ceiling.
 *    It is generated from the fixture once at start-up, exactly what a hand-written one would be.
 *
 * Plus one informational row, **cold**: parse + validate + compile + render per request, the
 * cost of an isolate cache miss.
 *
 * Every variant must produce byte-identical output (checked before timing). Conditions are left
 * for the platform (`conditions: "platform"`) so the four do the same work. Method
 * (docs/benchmarks.md): mitata per variant, variant order alternating each round, median of the
 * per-round averages.
 *
 *   npm run bench:render                 table
 *   npm run bench:render -- --json       figures
 *   npm run bench:render -- --rounds 9   more rounds (default 5)
 */
import { createRequire } from "node:module";
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import { do_not_optimize, measure } from "mitata";
import { compileTemplate, splitPlaceholders, type RenderContext } from "../src/template/index.ts";
import { checkFlow, elementChildren, escapeAttr, escapeText, parseXml, type ElementNode } from "../src/xml/index.ts";
import { cli, machine, table } from "./lib/cli.ts";
import { fixture, RENDER_VARIABLES } from "./lib/fixtures.ts";
import { median } from "./lib/stats.ts";

const { args, num, log } = cli(
  "render",
  { json: { type: "boolean", default: false }, rounds: { type: "string", default: "5" } },
  { echo: true },
);
const rounds = num("rounds", 1);

// twilio is CommonJS; deep-import the TwiML builder only.
const require = createRequire(import.meta.url);
type TwimlNode = {
  addChild(name: string, attrs?: Record<string, string>): TwimlNode;
  addText(text: string): void;
  toString(): string;
} & Partial<
  Record<"say" | "play" | "pause" | "hangup" | "gather" | "dial" | "record", (attrs: Record<string, string>, text?: string) => TwimlNode>
>;
const VoiceResponse = require("twilio/lib/twiml/VoiceResponse") as new () => TwimlNode;

const CTX: RenderContext = {
  from: "+12125550123",
  to: "18005550100",
  tn: "18005550100",
  call: "5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
  sca: "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
  now: new Date("2026-03-09T14:00:00Z"),
  vars: RENDER_VARIABLES,
  timezone: "America/New_York",
};

// ---- shared by the per-request variants: what a placeholder becomes, before XML escaping ----

const URL_ATTRS = new Set(["url", "callback", "action"]);
const URL_TEXT = new Set(["Play", "Callback"]);

/** The raw value of one placeholder name for the call. */
function placeholderValue(name: string, ctx: RenderContext): string {
  if (name.startsWith("vars.")) return ctx.vars[name.slice(5)] ?? "";
  switch (name) {
    case "from":
      return ctx.from;
    case "to":
      return ctx.to;
    case "tn":
      return ctx.tn;
    case "call":
      return ctx.call;
    case "sca":
      return ctx.sca;
    case "now":
      return ctx.now.toISOString();
    default:
      return "";
  }
}

/** Fill a template string; in a URL, caller values are percent-encoded and variables are not (the escaping contract). */
function fill(template: string, ctx: RenderContext, url: boolean): string {
  if (!template.includes("{{")) return template;
  return template.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_, name: string) => {
    const v = placeholderValue(name, ctx);
    return url && !name.startsWith("vars.") ? encodeURIComponent(v) : v;
  });
}

// ---- 2. parse + build per request (fast-xml-parser both ways) ----

type FxpNode = Record<string, unknown> & { ":@"?: Record<string, string> };
const fxpParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: true,
  parseTagValue: false,
  parseAttributeValue: false,
});
const fxpBuilder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  suppressEmptyNode: true,
  format: false,
});

function fxpFill(nodes: FxpNode[], parent: string, ctx: RenderContext): void {
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ":@")!;
    if (name === "#text") {
      node["#text"] = fill(String(node["#text"]), ctx, URL_TEXT.has(parent));
      continue;
    }
    const attrs = node[":@"];
    if (attrs) for (const k of Object.keys(attrs)) attrs[k] = fill(attrs[k]!, ctx, URL_ATTRS.has(k.toLowerCase()));
    if (Array.isArray(node[name])) fxpFill(node[name] as FxpNode[], name, ctx);
  }
}

function parseAndBuild(template: string, ctx: RenderContext): string {
  const tree = fxpParser.parse(template) as FxpNode[];
  fxpFill(tree, "", ctx);
  return fxpBuilder.build(tree) as string;
}

// ---- 3. twilio VoiceResponse ----

type Plan = (parent: TwimlNode, ctx: RenderContext) => void;
const TYPED = new Map<string, "say" | "play" | "pause" | "hangup" | "gather" | "dial" | "record">([
  ["Say", "say"],
  ["Play", "play"],
  ["Pause", "pause"],
  ["Hangup", "hangup"],
  ["Gather", "gather"],
  ["Dial", "dial"],
  ["Record", "record"],
]);

/** Precompute, per element, the builder calls a hand-written handler would make. */
function twilioPlan(el: ElementNode): Plan {
  const attrs = el.attrs.map((a) => [a.name, a.value, URL_ATTRS.has(a.name.toLowerCase())] as const);
  const text = el.children
    .filter((c) => c.type === "text")
    .map((c) => c.value)
    .join("");
  const kids = elementChildren(el).map(twilioPlan);
  const method = TYPED.get(el.name);
  const urlText = URL_TEXT.has(el.name);
  return (parent, ctx) => {
    const a: Record<string, string> = {};
    for (const [k, v, url] of attrs) a[k] = fill(v, ctx, url);
    const t = text ? fill(text, ctx, urlText) : undefined;
    // TwiML nodes keep their XML under a property named like their verb (a Gather's `gather`),
    // so only a function is a builder method.
    const candidate = method ? parent[method] : undefined;
    const fn = typeof candidate === "function" ? candidate : undefined;
    let node: TwimlNode;
    if (fn && (method === "say" || method === "play")) node = fn.call(parent, a, t);
    else if (fn) {
      node = fn.call(parent, a);
      if (t) node.addText(t);
    } else {
      node = parent.addChild(el.name, a);
      if (t) node.addText(t);
    }
    for (const k of kids) k(node, ctx);
  };
}

function twilioRender(plans: Plan[], ctx: RenderContext): string {
  const response = new VoiceResponse();
  for (const p of plans) p(response, ctx);
  return response.toString();
}

// ---- 4. the template literal ----

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => ESC[c]!);

/** The source of one template literal for the fixture: markup verbatim, `${…}` per placeholder. */
function literalSource(el: ElementNode): string {
  const js = (s: string) => s.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${");
  const hole = (name: string, url: boolean) => {
    const get = name.startsWith("vars.")
      ? `ctx.vars[${JSON.stringify(name.slice(5))}]`
      : name === "now"
        ? "ctx.now.toISOString()"
        : `ctx.${name}`;
    return url && !name.startsWith("vars.") ? `\${encodeURIComponent(${get})}` : `\${esc(${get})}`;
  };
  const part = (value: string, escapeText: (s: string) => string, url: boolean) =>
    splitPlaceholders(value, { pos: { line: 0, col: 0 } })
      .parts.map((p) => (typeof p === "string" ? js(escapeText(p)) : hole(p.scope === "call" ? p.name : `${p.scope}.${p.name}`, url)))
      .join("");
  let out = `<${el.name}`;
  for (const a of el.attrs) out += ` ${a.name}="${part(a.value, escapeAttr, URL_ATTRS.has(a.name.toLowerCase()))}"`;
  const kids = el.children.filter((c) => c.type !== "comment");
  if (!kids.length) return `${out}/>`;
  out += ">";
  for (const c of kids)
    out += c.type === "text" ? part(c.value, escapeText, URL_TEXT.has(el.name)) : c.type === "element" ? literalSource(c) : "";
  return `${out}</${el.name}>`;
}

// ---- fixtures ----

interface Fixture {
  name: "small" | "medium" | "large";
  template: string;
  elements: number;
  placeholders: number;
  variants: Record<VariantKey, () => string>;
}
type VariantKey = "compiled" | "parseBuild" | "twilio" | "literal" | "cold";
const LABELS: Record<VariantKey, string> = {
  compiled: "compiled render",
  parseBuild: "parse+build (fxp)",
  twilio: "twilio VoiceResponse",
  literal: "template literal",
  cold: "cold: parse+compile+render",
};
const KEYS = Object.keys(LABELS) as VariantKey[];

function countElements(el: ElementNode): number {
  return elementChildren(el).reduce((n, c) => n + countElements(c), 1);
}

function load(name: Fixture["name"]): Fixture {
  const template = fixture(`render-${name}.xml`);
  const checked = checkFlow(template);
  if (!checked.document || !checked.ok) throw new Error(`render-${name}.xml must be a valid flow: ${JSON.stringify(checked.diagnostics)}`);
  const root = checked.document.root;
  const options = { indent: "", conditions: "platform" as const, variables: RENDER_VARIABLES };
  const compiled = compileTemplate(root, options);
  if (!compiled.ok) throw new Error(`render-${name}.xml does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  const plans = elementChildren(root).map(twilioPlan);
  // eslint-disable-next-line no-new-func -- Node-only benchmark: builds the literal once.
  const literal = new Function("ctx", "esc", `return \`<?xml version="1.0" encoding="UTF-8"?>${literalSource(root)}\`;`) as (
    ctx: RenderContext,
    esc: (s: string) => string,
  ) => string;
  return {
    name,
    template,
    elements: countElements(root),
    placeholders: (template.match(/\{\{/g) ?? []).length,
    variants: {
      compiled: () => compiled.render(CTX),
      parseBuild: () => parseAndBuild(template, CTX),
      twilio: () => twilioRender(plans, CTX),
      literal: () => literal(CTX, escapeXml),
      cold: () => {
        const doc = parseXml(template).document!;
        return compileTemplate(doc.root, options).render(CTX);
      },
    },
  };
}

const fixtures = (["small", "medium", "large"] as const).map(load);

// Byte-identical or no timing at all.
for (const f of fixtures) {
  const expected = f.variants.compiled();
  if (!checkFlow(expected).ok) throw new Error(`${f.name}: the compiled render is not a valid flow`);
  for (const k of KEYS) {
    const got = f.variants[k]();
    if (got !== expected) {
      let i = 0;
      while (i < got.length && got[i] === expected[i]) i++;
      throw new Error(
        `${f.name}: ${LABELS[k]} differs from the compiled render at byte ${i}:\n  compiled: …${expected.slice(Math.max(0, i - 40), i + 60)}\n  ${k}: …${got.slice(Math.max(0, i - 40), i + 60)}`,
      );
    }
  }
}

const avgNs = new Map<string, Map<VariantKey, number[]>>(fixtures.map((f) => [f.name, new Map(KEYS.map((k) => [k, [] as number[]]))]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...KEYS].reverse() : KEYS;
  for (const f of fixtures) {
    for (const k of order) {
      const run = f.variants[k];
      const stats = await measure(() => do_not_optimize(run()));
      avgNs.get(f.name)!.get(k)!.push(stats.avg);
    }
  }
  log(`round ${round + 1}/${rounds} done`);
}

const TARGETS = { parseBuild: 10, twilio: 3, literalWithin: 2 };

const results = fixtures.map((f) => {
  const ns = Object.fromEntries(KEYS.map((k) => [k, median(avgNs.get(f.name)!.get(k)!)])) as Record<VariantKey, number>;
  const speedup = {
    vsParseBuild: ns.parseBuild / ns.compiled,
    vsTwilio: ns.twilio / ns.compiled,
    vsCold: ns.cold / ns.compiled,
    /** compiled time ÷ literal time: 1.0 = as fast as the literal; the target is ≤ 2. */
    literalRatio: ns.compiled / ns.literal,
  };
  return {
    document: f.name,
    outputBytes: Buffer.byteLength(f.variants.compiled()),
    elements: f.elements,
    placeholders: f.placeholders,
    nsPerRender: ns,
    opsPerSec: Object.fromEntries(KEYS.map((k) => [k, 1e9 / ns[k]])),
    speedup,
    targetsMet: {
      vsParseBuild: speedup.vsParseBuild >= TARGETS.parseBuild,
      vsTwilio: speedup.vsTwilio >= TARGETS.twilio,
      literal: speedup.literalRatio <= TARGETS.literalWithin,
    },
  };
});

const environment = { ...machine(), rounds, statistic: "median of per-round mitata averages" };

if (args.json) {
  process.stdout.write(`${JSON.stringify({ benchmark: "render", ...environment, targets: TARGETS, results }, null, 2)}\n`);
} else {
  const fmtNs = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} µs` : `${Math.round(n).toLocaleString("en-US")} ns`);
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  const header = ["document", "out bytes", "elements", "holes", ...KEYS.map((k) => LABELS[k]), "× parse+build", "× twilio", "÷ literal"];
  const body = results.map((r) => [
    r.document,
    String(r.outputBytes),
    String(r.elements),
    String(r.placeholders),
    ...KEYS.map((k) => fmtNs(r.nsPerRender[k])),
    `${r.speedup.vsParseBuild.toFixed(1)} ${mark(r.targetsMet.vsParseBuild)}`,
    `${r.speedup.vsTwilio.toFixed(1)} ${mark(r.targetsMet.vsTwilio)}`,
    `${r.speedup.literalRatio.toFixed(2)} ${mark(r.targetsMet.literal)}`,
  ]);
  process.stdout.write(
    [
      `render one call — Node ${environment.node}, ${environment.cpu} (${environment.cores} cores), ${rounds} rounds, median time per render`,
      "",
      table([header, ...body]),
      "",
      `targets: compiled ≥ ${TARGETS.parseBuild}× faster than parse+build, ≥ ${TARGETS.twilio}× faster than twilio, within ${TARGETS.literalWithin}× of the template literal (÷ literal ≤ ${TARGETS.literalWithin}).`,
      "All variants produce byte-identical documents (checked before timing). cold = a cache miss, for reference.",
      "",
    ].join("\n"),
  );
}
