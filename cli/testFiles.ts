/**
 * Finding and reading flow tests on disk: scenario files (YAML or JSON, or a `tactflow call`
 * line script), the flows they test, and their golden transcripts.
 *
 * Which flow a file tests, first match wins:
 * 1. its `flow:` — a path relative to the file, or `{file, tn, mode, timezone, variables, …}`;
 * 2. `manifest.json` beside it (the format of flows/demo/manifest.json): the entry whose TN is
 *    the file's `tn:`/`to:`, else the entry whose XML file has the scenario file's stem
 *    (`ivr-menu.test.yaml` → `ivr-menu.xml`);
 * 3. `<stem>.xml` beside it, published with default options under the file's `tn:`/`to:`.
 *
 * Golden transcripts live beside the scenario file: `ivr-menu.test.yaml` → `ivr-menu.golden.txt`,
 * one `=== name` section per scenario.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { LineCounter, parseDocument, isSeq } from "yaml";
import { FlowOptionsSchema, type FlowMeta } from "../src/flows/meta.ts";
import { readScenarios, ScenarioError, scenarioFromScript, type TestScenario } from "../src/flowtest/format.ts";
import { flowKeyFor } from "../src/flows/store.ts";
import { decodeTemplate, formatDiagnostic } from "../src/xml/index.ts";
import { parseScript, ScriptError } from "../sim/script.ts";

export const SCENARIO_FILE = /\.test\.(ya?ml|json)$/i;

export interface FlowFile {
  /** Absolute path of the XML. */
  path: string;
  tn: string;
  xml: string;
  meta: FlowMeta;
}

export interface ScenarioFile {
  path: string;
  scenarios: TestScenario[];
  flow: FlowFile;
  goldenPath: string;
}

export class TestFileError extends Error {}

/** Scenario files under the given files and folders (folders: `*.test.yaml|yml|json`, recursively). */
export function collectScenarioFiles(paths: readonly string[], cwd: string): string[] {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (SCENARIO_FILE.test(entry.name)) out.add(p);
    }
  };
  for (const raw of paths) {
    const p = resolve(cwd, raw);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new TestFileError(`${raw}: no such file or folder`);
    }
    if (st.isDirectory()) walk(p);
    else out.add(p);
  }
  return [...out].sort();
}

/** Whether a text is a `tactflow call` line script rather than YAML/JSON. */
function isLineScript(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() && !l.trim().startsWith("#"));
  return first !== undefined && /^\s*(to|from|at|call-id|timezone|press|silence|dial|talk|hangup|location)(\s|$)/i.test(first);
}

export function goldenPathFor(file: string): string {
  const name = basename(file)
    .replace(/\.(ya?ml|json|txt)$/i, "")
    .replace(/\.test$/i, "");
  return join(dirname(file), `${name}.golden.txt`);
}

/** `=== name` sections of a golden file. */
export function readGolden(path: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  let name: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (name !== null) out.set(name, lines.join("\n").trimEnd());
  };
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    if (line.startsWith("=== ")) {
      flush();
      name = line.slice(4).trim();
      lines = [];
    } else lines.push(line);
  }
  flush();
  return out;
}

export function formatGolden(entries: ReadonlyArray<{ name: string; transcript: string }>): string {
  return `${entries.map((e) => `=== ${e.name}\n${e.transcript.trimEnd()}\n`).join("\n")}`;
}

interface ManifestEntry {
  tn: string;
  file: string;
  [option: string]: unknown;
}

function readManifest(dir: string): ManifestEntry[] {
  const p = join(dir, "manifest.json");
  if (!existsSync(p)) return [];
  try {
    const m = JSON.parse(readFileSync(p, "utf8")) as { flows?: ManifestEntry[] };
    return Array.isArray(m.flows) ? m.flows : [];
  } catch (err) {
    throw new TestFileError(`${p}: not JSON (${(err as Error).message})`);
  }
}

function loadFlow(xmlPath: string, tn: string | undefined, options: Record<string, unknown>, where: string): FlowFile {
  if (!tn) throw new TestFileError(`${where}: say which number the flow answers (tn: or to:), or name it in manifest.json`);
  if (!flowKeyFor(tn)) throw new TestFileError(`${where}: "${tn}" is not a telephone number`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(xmlPath);
  } catch {
    throw new TestFileError(`${where}: cannot read the flow ${xmlPath}`);
  }
  // Read as publishing reads it: bytes that are not UTF-8 are refused at their place, not tested as U+FFFD.
  const decoded = decodeTemplate(bytes);
  if (!decoded.ok) throw new TestFileError(decoded.diagnostics.map((d) => formatDiagnostic(xmlPath, d)).join("\n"));
  const xml = decoded.text;
  const { file: _file, tn: _tn, $comment: _c, ...rest } = options;
  const meta = FlowOptionsSchema.safeParse(rest);
  if (!meta.success) throw new TestFileError(`${where}: flow options: ${meta.error.issues[0]?.message ?? "invalid"}`);
  return { path: xmlPath, tn: flowKeyFor(tn)!, xml, meta: meta.data };
}

/** Read one scenario file and find its flow; throws TestFileError with the file and the reason. */
export function loadScenarioFile(path: string, cwd: string): ScenarioFile {
  const rel = relative(cwd, path) || path;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new TestFileError(`${rel}: cannot read it (${(err as Error).message})`);
  }
  let scenarios: TestScenario[];
  let flowRef: unknown;
  let fileTn: string | undefined;
  try {
    if (isLineScript(text)) {
      const script = parseScript(text);
      scenarios = [{ ...scenarioFromScript(script, basename(path)), source: rel }];
    } else {
      const lines = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
      if (doc.errors.length) {
        const e = doc.errors[0]!;
        const at = e.linePos?.[0];
        throw new TestFileError(`${rel}${at ? `:${at.line}:${at.col}` : ""}: ${e.message.split("\n")[0]}`);
      }
      const read = readScenarios(doc.toJS(), rel);
      scenarios = read.scenarios;
      flowRef = read.flow;
      fileTn = read.tn;
      const seq = doc.get("scenarios", true);
      scenarios = scenarios.map((s, i) => {
        const node = isSeq(seq) ? seq.items[i] : null;
        const offset = node && typeof node === "object" && "range" in node && Array.isArray(node.range) ? node.range[0] : 0;
        return { ...s, source: `${rel}:${lines.linePos(offset ?? 0).line}` };
      });
    }
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof ScriptError)
      throw new TestFileError(err.message.startsWith(rel) ? err.message : `${rel}: ${err.message}`);
    throw err;
  }
  const dir = dirname(path);
  const tn = fileTn ?? scenarios.find((s) => s.to)?.to;
  let flow: FlowFile;
  if (typeof flowRef === "string") flow = loadFlow(resolve(dir, flowRef), tn, {}, rel);
  else if (flowRef && typeof flowRef === "object") {
    const ref = flowRef as Record<string, unknown>;
    if (typeof ref["file"] !== "string") throw new TestFileError(`${rel}: flow: needs file: (the flow's XML, relative to this file)`);
    flow = loadFlow(resolve(dir, ref["file"]), typeof ref["tn"] === "string" ? ref["tn"] : tn, ref, rel);
  } else {
    const manifest = readManifest(dir);
    const stem = basename(path)
      .replace(/\.(ya?ml|json|txt)$/i, "")
      .replace(/\.test$/i, "");
    const key = tn ? flowKeyFor(tn) : null;
    const entry =
      manifest.find((m) => key !== null && flowKeyFor(m.tn) === key) ?? manifest.find((m) => m.file.replace(/\.xml$/i, "") === stem);
    if (entry) flow = loadFlow(resolve(dir, entry.file), entry.tn, entry, rel);
    else if (existsSync(join(dir, `${stem}.xml`))) flow = loadFlow(join(dir, `${stem}.xml`), tn, {}, rel);
    else
      throw new TestFileError(
        `${rel}: which flow does it test? Add flow: FILE.xml, or a manifest.json entry, or put ${stem}.xml beside it`,
      );
  }
  const goldenPath = goldenPathFor(path);
  const golden = readGolden(goldenPath);
  scenarios = scenarios.map((s) => {
    const t = golden.get(s.name);
    return t !== undefined && s.transcript === undefined ? { ...s, transcript: t } : s;
  });
  return { path, scenarios, flow, goldenPath };
}
