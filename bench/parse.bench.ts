/**
 * Parse-and-validate throughput: tactflow's `checkFlow` (tokenise with fast-xml-parser, refuse
 * DOCTYPE/entities, build the typed tree with positions, read both dialects, validate) beside
 * fast-xml-parser alone on the same documents, as the reference ratio.
 *
 *   npm run bench:parse                  table
 *   npm run -s bench:parse -- --json     machine-readable figures (-s: no npm banner on stdout)
 *   npm run bench:parse -- --rounds 9    more rounds (default 5)
 *
 * Method (docs/benchmarks.md): every variant is measured with mitata in each round, the
 * order of the variants alternates from round to round, and the figure reported is the median
 * of the per-round averages. Before any timing each variant's output is checked, so a fast
 * wrong answer cannot win.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { do_not_optimize, measure } from "mitata";
import { checkFlow, elementChildren, type ElementNode } from "../src/xml/index.ts";
import { cli, machine, table } from "./lib/cli.ts";
import { fixture } from "./lib/fixtures.ts";
import { median } from "./lib/stats.ts";

const { args, num, log } = cli(
  "parse",
  { json: { type: "boolean", default: false }, rounds: { type: "string", default: "5" } },
  { echo: true },
);
const rounds = num("rounds", 1);

interface Doc {
  name: "small" | "medium" | "large";
  xml: string;
  /** Elements below <Response>: the commands, branches and destinations. */
  elements: number;
}

function countElements(el: ElementNode): number {
  return elementChildren(el).reduce((n, c) => n + 1 + countElements(c), 0);
}

function loadDoc(name: Doc["name"]): Doc {
  const xml = fixture(`${name}.xml`);
  const result = checkFlow(xml);
  if (!result.document || result.diagnostics.length) {
    throw new Error(`bench/fixtures/${name}.xml must be a clean flow; checkFlow found ${JSON.stringify(result.diagnostics)}`);
  }
  return { name, xml, elements: countElements(result.document.root) };
}

// The reference: fast-xml-parser as most callers use it, default options (attributes ignored,
// no validation pass). "fxp full" asks it for what a validator needs too: a well-formedness
// check, attributes and document order.
const bareParser = new XMLParser();
const fullParser = new XMLParser({ ignoreAttributes: false, preserveOrder: true, processEntities: false, trimValues: false });

interface Variant {
  key: "checkFlow" | "fxpFull" | "fxpBare";
  label: string;
  run: (xml: string) => unknown;
  /** Throws unless the variant really read the document. */
  check: (xml: string) => void;
}

const variants: Variant[] = [
  {
    key: "checkFlow",
    label: "checkFlow",
    run: (xml) => checkFlow(xml),
    check: (xml) => {
      if (!checkFlow(xml).ok) throw new Error("checkFlow did not accept the fixture");
    },
  },
  {
    key: "fxpFull",
    label: "fxp full",
    run: (xml) => XMLValidator.validate(xml) === true && fullParser.parse(xml),
    check: (xml) => {
      const tree = fullParser.parse(xml) as Array<Record<string, unknown>>;
      if (XMLValidator.validate(xml) !== true || !tree.some((n) => "Response" in n)) throw new Error("fxp full did not read the fixture");
    },
  },
  {
    key: "fxpBare",
    label: "fxp bare",
    run: (xml) => bareParser.parse(xml),
    check: (xml) => {
      if (!("Response" in (bareParser.parse(xml) as Record<string, unknown>))) throw new Error("fxp bare did not read the fixture");
    },
  },
];

const docs = (["small", "medium", "large"] as const).map(loadDoc);
for (const doc of docs) for (const v of variants) v.check(doc.xml);

// avgNs[doc][variant] = per-round averages in nanoseconds.
const avgNs = new Map<string, Map<Variant["key"], number[]>>(
  docs.map((d) => [d.name, new Map(variants.map((v) => [v.key, [] as number[]]))]),
);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...variants].reverse() : variants;
  for (const doc of docs) {
    for (const v of order) {
      const stats = await measure(() => do_not_optimize(v.run(doc.xml)));
      avgNs.get(doc.name)!.get(v.key)!.push(stats.avg);
    }
  }
  log(`round ${round + 1}/${rounds} done`);
}

const rows = docs.map((doc) => {
  const opsPerSec = Object.fromEntries(variants.map((v) => [v.key, 1e9 / median(avgNs.get(doc.name)!.get(v.key)!)])) as Record<
    Variant["key"],
    number
  >;
  return {
    document: doc.name,
    bytes: Buffer.byteLength(doc.xml),
    elements: doc.elements,
    opsPerSec,
    /** checkFlow's throughput as a fraction of the reference's: 0.25 = a quarter as fast. */
    ratio: { checkFlowToFxpBare: opsPerSec.checkFlow / opsPerSec.fxpBare, checkFlowToFxpFull: opsPerSec.checkFlow / opsPerSec.fxpFull },
    /** Bytes of XML checked per second. */
    checkFlowMBps: (opsPerSec.checkFlow * Buffer.byteLength(doc.xml)) / 1e6,
  };
});

const environment = { ...machine(), rounds, statistic: "median of per-round mitata averages" };

if (args.json) {
  process.stdout.write(`${JSON.stringify({ benchmark: "parse", ...environment, results: rows }, null, 2)}\n`);
} else {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const header = ["document", "bytes", "elements", ...variants.map((v) => `${v.label} ops/s`), "checkFlow / bare", "checkFlow / full"];
  const body = rows.map((r) => [
    r.document,
    fmt(r.bytes),
    String(r.elements),
    ...variants.map((v) => fmt(r.opsPerSec[v.key])),
    r.ratio.checkFlowToFxpBare.toFixed(2),
    r.ratio.checkFlowToFxpFull.toFixed(2),
  ]);
  const out = [
    `parse-and-validate throughput — Node ${environment.node}, ${environment.cpu} (${environment.cores} cores), ${rounds} rounds, median`,
    "",
    table([header, ...body]),
    "",
    "checkFlow  tactflow's parse and validate: positions, both dialects, typed props, every check",
    "fxp full   fast-xml-parser XMLValidator.validate + XMLParser (attributes, preserveOrder)",
    "fxp bare   fast-xml-parser XMLParser.parse with default options (the reference)",
    "ratio      checkFlow ops/s ÷ the reference's ops/s (1.00 = as fast as fast-xml-parser alone)",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}
