/**
 * Hostile templates for `npm run bench:publish`: each case builds the largest document of its
 * kind that fits in a byte budget, aimed at one place where work could grow faster than the
 * input or carry a large constant (names, nesting, attributes, placeholders, values, findings).
 * Where a count is limited (src/xml/limits.ts), the case stays one under the limit, so the whole
 * check runs rather than the pre-scan refusing it; "… past the limits" cases show that refusal.
 */
import { LIMITS } from "../../src/xml/limits.ts";

export interface HostileCase {
  name: string;
  /** What the case aims at. */
  what: string;
  /** The document, at most `bytes` UTF-8 bytes. */
  build(bytes: number): string;
  /** Declared flow variables for the publish (default: one, `x`). */
  variables?: Record<string, string>;
}

const HEAD = "<Response>";
const TAIL = "</Response>";

/** `unit` repeated to fill what is left of `bytes` between `open` and `close`, at most `most` times. */
function fill(bytes: number, open: string, unit: string, close: string, most = Number.POSITIVE_INFINITY): string {
  const room = bytes - open.length - close.length;
  return open + unit.repeat(Math.max(0, Math.min(most, Math.floor(room / unit.length)))) + close;
}

/** `n` nested copies of `<tag>`, as many as fit (at most `most`). */
function nested(bytes: number, open: string, close: string, most = Number.POSITIVE_INFINITY): string {
  const n = Math.min(most, Math.floor((bytes - HEAD.length - TAIL.length) / (open.length + close.length)));
  return HEAD + open.repeat(n) + close.repeat(n) + TAIL;
}

/** Elements that fit besides `<Response>` and one more, under the element limit. */
const ELEMENTS = LIMITS.elements - 2;

const hundredVars = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`variable_number_${i}`, "1"]));

export const HOSTILE_CASES: readonly HostileCase[] = [
  {
    name: "a small flow (the floor)",
    what: "not hostile: the cost of any first publish, which a cold start pays in full",
    build: () => `${HEAD}<Say>Thanks for calling.</Say><Gather numDigits="1"><DTMF value="1"><Say>Sales.</Say></DTMF></Gather>${TAIL}`,
  },
  {
    name: "a small flow with a time zone",
    what: "not hostile: the first Intl time-zone lookup of an isolate, which any flow naming a zone pays once",
    build: () => `${HEAD}<Schedule tz="America/New_York" dow="mon-fri"><Say>Open.</Say></Schedule>${TAIL}`,
  },
  { name: "long tag name", what: "did-you-mean on a huge unknown tag", build: (b) => fill(b, `${HEAD}<`, "A", `/>${TAIL}`) },
  { name: "long root name", what: "did-you-mean on a huge root", build: (b) => fill(b, "<", "R", "/>") },
  {
    name: "long attribute name",
    what: "did-you-mean on a huge attribute",
    build: (b) => fill(b, `${HEAD}<Say `, "a", `="1">hi</Say>${TAIL}`),
  },
  {
    name: "long near-miss tag name",
    what: "did-you-mean where the name starts like a real tag",
    build: (b) => fill(b, `${HEAD}<Gather`, "x", `/>${TAIL}`),
  },
  {
    name: "many unknown tags",
    what: "one finding (with suggestions) per element",
    build: (b) => fill(b, HEAD, "<Gahter/>", TAIL, ELEMENTS),
  },
  {
    name: "many unknown tags, past the limits",
    what: "the pre-scan refusing a document with too many elements",
    build: (b) => fill(b, HEAD, "<Gahter/>", TAIL),
  },
  {
    name: "many unknown attributes",
    what: "one finding per attribute",
    build: (b) => fill(b, `${HEAD}<Say `, 'nmDigits="1" ', `>hi</Say>${TAIL}`, LIMITS.attributes - 1),
  },
  {
    name: "many unique unknown attributes",
    what: "distinct attribute names on one element",
    build: (b) => {
      const parts: string[] = [];
      let size = HEAD.length + TAIL.length + 12;
      for (let i = 0; size < b - 24 && i < LIMITS.attributes - 1; i++) {
        const a = ` q${i.toString(36)}="1"`;
        parts.push(a);
        size += a.length;
      }
      return `${HEAD}<Say${parts.join("")}>hi</Say>${TAIL}`;
    },
  },
  { name: "many bad values", what: "one error per attribute value", build: (b) => fill(b, HEAD, '<Pause length="x"/>', TAIL, ELEMENTS) },
  { name: "many valid elements", what: "the plain cost of a big flow", build: (b) => fill(b, HEAD, "<Pause/>", TAIL, ELEMENTS) },
  {
    name: "many typed variables, unknown attributes",
    what: "{{vars.X}} checked per element beside attributes it has no use for",
    build: (b) => fill(b, HEAD, '<Pause length="{{vars.x}}" lenght="1" dtmf="1"/>', TAIL, Math.floor(LIMITS.attributes / 3) - 1),
  },
  { name: "deep nesting (commands)", what: "recursion depth", build: (b) => nested(b, "<Record>", "</Record>", LIMITS.depth - 1) },
  {
    name: "deep nesting (unknown)",
    what: "recursion depth with a finding per level",
    build: (b) => nested(b, "<a>", "</a>", LIMITS.depth - 1),
  },
  { name: "deep nesting, past the limits", what: "the pre-scan refusing deep nesting", build: (b) => nested(b, "<a>", "</a>") },
  {
    name: "deep nesting (conditions)",
    what: "condition blocks inside condition blocks",
    build: (b) => nested(b, '<Call field="from" value="1">', "</Call>", LIMITS.depth - 1),
  },
  { name: "long text", what: "one huge text node", build: (b) => fill(b, `${HEAD}<Say>`, "a", `</Say>${TAIL}`) },
  { name: "long attribute value", what: "one huge string attribute", build: (b) => fill(b, `${HEAD}<Say text="`, "a", `"/>${TAIL}`) },
  {
    name: "long number",
    what: "a numeric attribute with a million digits",
    build: (b) => fill(b, `${HEAD}<Pause length="`, "9", `"/>${TAIL}`),
  },
  {
    name: "long days list",
    what: "dow with a million entries",
    build: (b) => fill(b, `${HEAD}<Schedule dow="mon`, ",mon-sun", `"><Hangup/></Schedule>${TAIL}`),
  },
  {
    name: "long states list",
    what: "states with a million entries",
    build: (b) => fill(b, `${HEAD}<Geo states="NJ`, ",NY", `"><Hangup/></Geo>${TAIL}`),
  },
  { name: "blank list", what: "states of commas only", build: (b) => fill(b, `${HEAD}<Geo states="`, ",", `"><Hangup/></Geo>${TAIL}`) },
  {
    name: "long time zone",
    what: "Intl on a huge zone name",
    build: (b) => fill(b, `${HEAD}<Schedule tz="America/`, "X", `"><Hangup/></Schedule>${TAIL}`),
  },
  {
    name: "many made-up zones",
    what: "one Intl lookup per distinct zone name",
    build: (b) => {
      const parts: string[] = [];
      let size = HEAD.length + TAIL.length;
      for (let i = 0; size < b - 64 && i < ELEMENTS; i++) {
        const p = `<Schedule tz="Z/${i.toString(36)}"/>`;
        parts.push(p);
        size += p.length;
      }
      return HEAD + parts.join("") + TAIL;
    },
  },
  {
    name: "made-up zones, at the limit",
    what: "as many <Schedule> as fit, naming the most different zones a flow may",
    build: (b) => {
      const parts: string[] = [];
      let size = HEAD.length + TAIL.length;
      for (let i = 0; size < b - 64 && i < ELEMENTS; i++) {
        const p = `<Schedule tz="Z/${(i % LIMITS.timeZones).toString(36)}"/>`;
        parts.push(p);
        size += p.length;
      }
      return HEAD + parts.join("") + TAIL;
    },
  },
  {
    name: "many placeholders",
    what: "valid placeholders in text",
    build: (b) => fill(b, `${HEAD}<Say>`, "{{from}}", `</Say>${TAIL}`, LIMITS.placeholders),
  },
  {
    name: "many unknown placeholders",
    what: "a finding with a suggestion per placeholder",
    build: (b) => fill(b, `${HEAD}<Say>`, "{{fro}}", `</Say>${TAIL}`, LIMITS.placeholders),
  },
  {
    name: "many undeclared variables",
    what: "did-you-mean against 100 declared variables",
    variables: hundredVars,
    build: (b) => fill(b, `${HEAD}<Say>`, "{{vars.variable_numbr_1}}", `</Say>${TAIL}`, LIMITS.placeholders),
  },
  {
    name: "long variable name",
    what: "did-you-mean on a huge {{vars.NAME}}",
    variables: hundredVars,
    build: (b) => fill(b, `${HEAD}<Say>{{vars.`, "v", `}}</Say>${TAIL}`),
  },
  { name: "unclosed braces", what: "placeholder scanning: {{ with no }}", build: (b) => fill(b, `${HEAD}<Say>`, "{{", `</Say>${TAIL}`) },
  {
    name: "braces closed at the end",
    what: "placeholder scanning: many {{ before one }}",
    build: (b) => fill(b, `${HEAD}<Say>`, "{{", `}}</Say>${TAIL}`, LIMITS.placeholders - 1),
  },
  {
    name: "unclosed braces in attributes",
    what: "placeholder scanning in many attribute values",
    build: (b) => fill(b, HEAD, '<Say text="{{{{{{{{"/>', TAIL, LIMITS.placeholders / 4),
  },
  {
    name: "many entities",
    what: "entity decoding and checks",
    build: (b) => fill(b, `${HEAD}<Say>`, "&amp;&#65;", `</Say>${TAIL}`, LIMITS.references / 2),
  },
  { name: "many comments", what: "comment ranges", build: (b) => fill(b, HEAD, "<!---->", TAIL, LIMITS.otherMarkup) },
  {
    name: "many CDATA sections",
    what: "CDATA ranges and text runs",
    build: (b) => fill(b, `${HEAD}<Say>`, "<![CDATA[&]]>", `</Say>${TAIL}`, LIMITS.otherMarkup),
  },
  {
    name: "many duplicate branches",
    what: "Gather branch checks",
    build: (b) => fill(b, `${HEAD}<Gather numDigits="1">`, '<DTMF value="1"/>', `</Gather>${TAIL}`, ELEMENTS),
  },
  {
    name: "everything at once",
    what: "close to every limit in one document, findings of every kind, the rest one long text",
    build: (b) => {
      const half = Math.floor((ELEMENTS - 1) / 2);
      const says = Array.from({ length: half }, (_, i) => `<Say qz${i}="1" loop="0">{{fro}}&amp;<!--c--></Say>`);
      const unknown = Array.from({ length: half }, (_, i) => `<Gahter tz="Z/${i % LIMITS.timeZones}"/>`);
      return fill(b, HEAD + says.join("") + unknown.join("") + "<Say>", "a", `</Say>${TAIL}`);
    },
  },
  { name: "many lines", what: "line index", build: (b) => fill(b, HEAD, "\n", TAIL) },
  {
    name: "whitespace in a tag",
    what: "a start tag padded with a million spaces",
    build: (b) => fill(b, `${HEAD}<Say`, " ", `>hi</Say>${TAIL}`),
  },
  {
    name: "many bare names in a tag",
    what: "attribute names with no values (not XML)",
    build: (b) => fill(b, `${HEAD}<Say`, " a", `>hi</Say>${TAIL}`, LIMITS.attributes - 1),
  },
  {
    name: "many processing instructions",
    what: "one warning per instruction",
    build: (b) => fill(b, HEAD, "<?x?>", TAIL, LIMITS.otherMarkup),
  },
  {
    name: "long enum value",
    what: "an enum attribute a million characters long",
    build: (b) => fill(b, `${HEAD}<Say gender="`, "M", `">hi</Say>${TAIL}`),
  },
  { name: "long keys value", what: "dtmf_stop with a million keys", build: (b) => fill(b, `${HEAD}<Pause dtmf_stop="`, "1", `"/>${TAIL}`) },
  {
    name: "references in a value",
    what: "character references in one attribute value",
    build: (b) => fill(b, `${HEAD}<Say text="`, "&#10;", `"/>${TAIL}`, LIMITS.references),
  },
  {
    name: "many line breaks in values",
    what: "attribute values full of newlines",
    build: (b) => fill(b, `${HEAD}<Say text="`, "\n", `"/>${TAIL}`),
  },
];
