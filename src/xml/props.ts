/**
 * Typed, normalised readings of each tag's attributes.
 *
 * Both Gather dialects, both Say/Play/Callback spellings and the case variants all land in one
 * shape here (docs/opentact.md §b.6, f.1–f.7), so nothing downstream ever looks at raw attribute names.
 * Reading an attribute and checking it are the same step: every problem found becomes a
 * diagnostic naming the tag, the attribute and what is allowed.
 */
import type { Position, TagKind, TagProps, XmlAttribute } from "./ast.ts";
import { clip, report, shown, type Diagnostic } from "./diagnostics.ts";
import { closest } from "./suggest.ts";
import { attrSpecFor, specForKind, type AttrSpec } from "./tags.ts";
import { attributeProblem, isDynamic, parseCallValue, parseDays, parseStates, parseTimeWindow } from "./values.ts";

export const DEFAULTS = {
  pauseMs: 1000,
  holdMs: 300_000,
  gatherTimeoutMs: 5000,
  callbackTimeoutMs: 10_000,
} as const;

/** What the props reader sees of an element. */
export interface PropsInput {
  kind: TagKind;
  name: string;
  attrs: XmlAttribute[];
  text: string;
  pos: Position;
  /** Kinds of the element children, for the Gather dialect. */
  childKinds: TagKind[];
}

type Values = Map<string, XmlAttribute>;

/**
 * Read an element's props, pushing a diagnostic for every attribute problem.
 * Unknown attributes are warnings (the platform may accept undocumented ones).
 */
export function readProps<K extends TagKind>(input: PropsInput & { kind: K }, diags: Diagnostic[]): TagProps[K] {
  const spec = specForKind(input.kind);
  const values: Values = new Map();
  if (spec && !spec.unspecified) {
    for (const a of input.attrs) {
      const as = attrSpecFor(spec, a.name);
      const where = { tag: input.name, attribute: a.name };
      if (!as) {
        // The message (a did-you-mean search and the list of what is allowed) is built only if the finding is listed.
        report(
          diags,
          "warning",
          "unknown-attribute",
          a.pos,
          () => {
            const hint = closest(
              a.name,
              spec.attrs.flatMap((s) => [s.name, ...(s.aliases ?? [])]),
            );
            const allowed = spec.attrs.length ? `allowed: ${spec.attrs.map((s) => s.name).join(", ")}` : "it takes no attributes";
            return `<${input.name}> has no attribute "${clip(a.name)}"${hint ? ` (did you mean "${hint}"?)` : ""}; ${allowed}`;
          },
          where,
        );
        continue;
      }
      const prior = values.get(as.name);
      if (prior) {
        const message = () => `<${input.name}> gives ${as.name} twice ("${clip(prior.name)}" and "${clip(a.name)}"); the first one is used`;
        report(diags, "warning", "conflicting-spellings", a.pos, message, where);
        continue;
      }
      values.set(as.name, a);
      checkValue(input.name, as, a, diags);
    }
  }
  const r = new Reader(input, values, diags);
  return buildProps(r) as TagProps[K];
}

/** Type-checks one attribute value against its spec; dynamic values are left to render time. */
function checkValue(tagName: string, spec: AttrSpec, a: XmlAttribute, diags: Diagnostic[]): void {
  const v = a.value.trim();
  if (isDynamic(v)) return;
  const problem = attributeProblem(spec, v);
  if (problem) {
    const message = () => `<${tagName} ${a.name}=${shown(a.value)}>: ${problem.message}`;
    report(diags, problem.severity, "bad-attribute", a.pos, message, { tag: tagName, attribute: a.name });
  }
}

class Reader {
  readonly input: PropsInput;
  readonly values: Values;
  readonly diags: Diagnostic[];
  constructor(input: PropsInput, values: Values, diags: Diagnostic[]) {
    this.input = input;
    this.values = values;
    this.diags = diags;
  }
  has(name: string): boolean {
    return this.values.has(name);
  }
  raw(name: string): string | undefined {
    return this.values.get(name)?.value;
  }
  str(name: string): string | undefined {
    const v = this.raw(name);
    return v === undefined ? undefined : v;
  }
  num(name: string, fallback: number): number {
    const v = this.raw(name)?.trim();
    if (v === undefined || !/^\d+$/.test(v)) return fallback;
    return Number(v);
  }
  optNum(name: string): number | undefined {
    const v = this.raw(name)?.trim();
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  }
  bool(name: string): boolean {
    return /^true$/i.test(this.raw(name)?.trim() ?? "");
  }
  enumOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.raw(name)?.trim().toLowerCase();
    return values.find((x) => x.toLowerCase() === v) ?? fallback;
  }
  tagAttr(): { tag?: string } {
    const t = this.str("tag");
    return t === undefined ? {} : { tag: t };
  }
  /** A requirement the element does not meet; `attribute` names the one that would meet it. */
  missing(message: string, attribute?: string): void {
    report(this.diags, "error", "missing-requirement", this.input.pos, `<${this.input.name}> ${message}`, {
      tag: this.input.name,
      ...(attribute ? { attribute } : {}),
    });
  }
}

function buildProps(r: Reader): TagProps[TagKind] {
  const { input } = r;
  const text = input.text.trim();
  switch (input.kind) {
    case "Response":
    case "Hangup":
    case "RecordStart":
    case "RecordStop":
    case "RecordWait":
    case "Switch":
    case "Default":
    case "Unhold":
      return r.tagAttr();
    case "Answer":
      return { delayMs: r.num("delay", 0), ...r.tagAttr() };
    case "Say": {
      const attr = r.str("text");
      const useAttr = attr !== undefined && attr.trim() !== "";
      if (useAttr && text && attr.trim() !== text) {
        const message = `<${input.name}> has both a text attribute and element text that differ; the attribute is spoken (docs/opentact.md §b.4)`;
        report(r.diags, "warning", "conflicting-spellings", input.pos, message, { tag: input.name, attribute: "text" });
      }
      const spoken = useAttr ? attr.trim() : text;
      if (!spoken) r.missing("needs something to say: element text or a text attribute", "text");
      const code = r.str("code");
      return {
        text: spoken,
        lang: r.str("lang")?.trim() || "en-US",
        voiceType: r.enumOf("type", ["Standard", "WaveNet"] as const, "Standard"),
        gender: r.enumOf("gender", ["MALE", "FEMALE"] as const, "FEMALE"),
        ...(code !== undefined ? { code } : {}),
        loop: r.num("loop", 1),
        ...r.tagAttr(),
      };
    }
    case "Play": {
      const record = r.str("record")?.trim() || undefined;
      const url = r.str("url")?.trim() || text || undefined;
      if (!url && !record) r.missing("needs a url attribute, a URL as element text, or a record attribute", "url");
      const leg = r.has("leg") ? r.enumOf("leg", ["aleg", "bleg", "both"] as const, "both") : undefined;
      return { ...(url ? { url } : {}), ...(record ? { record } : {}), loop: r.num("loop", 1), ...(leg ? { leg } : {}), ...r.tagAttr() };
    }
    case "Pause":
      return { lengthMs: r.num("length", DEFAULTS.pauseMs), stopKeys: r.str("dtmf_stop")?.trim() ?? "", ...r.tagAttr() };
    case "Record": {
      const timeoutMs = r.optNum("timeout");
      return { asr: r.bool("asr"), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...r.tagAttr() };
    }
    case "Dial": {
      const callerId = r.str("callerId");
      const timeoutMs = r.optNum("timeout");
      return { ...(callerId !== undefined ? { callerId } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...r.tagAttr() };
    }
    case "To":
    case "Sip":
    case "Number":
      if (!text) r.missing("needs a destination as element text, e.g. sip:desk@example.org or 12223334455");
      return { target: text };
    case "Gather": {
      const dialect = gatherDialect(input);
      const remoteUrl = r.str("url")?.trim() || undefined;
      return {
        dialect,
        maxDigits: r.num("numDigits", 1),
        finishKey: r.str("finishOnKey")?.trim() || (dialect === "A" ? "*" : "#"),
        timeoutMs: r.num("timeout", DEFAULTS.gatherTimeoutMs),
        attempts: Math.max(1, r.num("attempts", 1)),
        ...(remoteUrl ? { remoteUrl } : {}),
        method: r.enumOf("method", ["GET", "POST"] as const, "GET"),
        ...r.tagAttr(),
      };
    }
    case "DTMF":
    case "Case": {
      const key = input.kind === "DTMF" ? "value" : "dtmf";
      const value = r.str(key)?.trim() ?? "";
      if (!value) r.missing(`needs a ${key} attribute with the digits that select it`, key);
      return { value, ...r.tagAttr() };
    }
    case "Error":
      return { speak: r.bool("say"), ...r.tagAttr() };
    case "Callback": {
      const url = r.str("url")?.trim() || text;
      if (!url) r.missing("needs a url attribute or a URL as element text", "url");
      return {
        url,
        method: r.enumOf("method", ["GET", "POST", "PATCH", "DELETE"] as const, "GET"),
        body: r.bool("body"),
        timeoutMs: r.num("timeout", DEFAULTS.callbackTimeoutMs),
        ...r.tagAttr(),
      };
    }
    case "Call": {
      const field = r.str("field")?.trim() ?? "";
      if (!field) r.missing("needs a field attribute naming the call field to test, e.g. from or to", "field");
      if (!r.has("value")) r.missing("needs a value attribute to compare with", "value");
      const value = r.raw("value") ?? "";
      return { field, value: parseCallValue(value), ...(isDynamic(value) ? { valueTemplate: value } : {}) };
    }
    case "Geo": {
      const county = r.str("county")?.trim();
      const countyAttr = r.values.get("county");
      if (countyAttr && !county) {
        const message = `<${input.name} county=${shown(countyAttr.value)}>: expected a county name; an empty one would match every caller, leave county out for that`;
        report(r.diags, "error", "bad-attribute", countyAttr.pos, message, { tag: input.name, attribute: countyAttr.name });
      }
      const states = r.raw("states");
      if (states !== undefined && isDynamic(states)) return { states: [], statesTemplate: states, ...(county ? { county } : {}) };
      return { states: parseStates(states ?? "") ?? [], ...(county ? { county } : {}) };
    }
    case "Schedule": {
      const dow = r.raw("dow");
      const time = r.raw("time");
      const tz = r.str("tz")?.trim();
      return {
        days: dow === undefined || isDynamic(dow) ? null : parseDays(dow),
        window: time === undefined || isDynamic(time) ? null : parseTimeWindow(time),
        ...(tz ? { tz } : {}),
        ...(dow !== undefined && isDynamic(dow) ? { dowTemplate: dow } : {}),
        ...(time !== undefined && isDynamic(time) ? { timeTemplate: time } : {}),
      };
    }
    case "Hold":
      return { timeoutMs: r.num("timeout", DEFAULTS.holdMs), ...r.tagAttr() };
    case "Curl":
    case "Meta":
    case "Tone":
    case "Unknown":
      return {};
    default: {
      const never: never = input.kind;
      throw new Error(`unhandled tag kind ${String(never)}`);
    }
  }
}

/** What marks a `<Gather>` as one dialect or the other (docs/opentact.md §b.6); B is checked first. */
export const GATHER_DIALECT_MARKERS = {
  B: { attrs: ["dtmf_length", "length", "dtmf_stop", "url"], child: "DTMF" },
  A: { attrs: ["numDigits", "finishOnKey", "callback", "num_digits", "finish_on_key"], child: "Switch" },
} as const satisfies Record<"A" | "B", { attrs: readonly string[]; child: TagKind }>;

/** Dialect B when a dialect-B spelling or a `<DTMF>` child says so, else A when an A marker does, else B. */
function gatherDialect(input: PropsInput): "A" | "B" {
  const names = new Set(input.attrs.map((a) => a.name.toLowerCase()));
  for (const dialect of ["B", "A"] as const) {
    const m = GATHER_DIALECT_MARKERS[dialect];
    if (input.childKinds.includes(m.child) || m.attrs.some((n) => names.has(n.toLowerCase()))) return dialect;
  }
  return "B";
}
