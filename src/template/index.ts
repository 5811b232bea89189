/**
 * Templates: Opentact Call Flow XML with `{{placeholders}}`, compiled once per version into a
 * render function. Pure TypeScript, no Workers imports (runs in Node for tests and benchmarks).
 *
 * @example
 * const checked = checkTemplate(xml, { variables: { office: "Acme" } });
 * if (checked.ok) checked.compiled.render({ from: "+12015550123", to: "18005550100", tn: "18005550100",
 *   call: "", sca: "", now: new Date(), vars: { office: "Acme" }, timezone: "America/New_York" });
 */
import { checkFlow, finishDiagnostics, type Diagnostic, type FlowDocument } from "../xml/index.ts";
import { compileTemplate, type CompileOptions, type CompiledTemplate } from "./compile.ts";

export { compileTemplate, type CompileOptions, type CompiledTemplate, type ConditionMode } from "./compile.ts";
export { RenderError, type RenderErrorCode } from "./errors.ts";
export type { RenderContext } from "./context.ts";
export { splitPlaceholders, CALL_PLACEHOLDERS, NAME_RE, type PlaceholderRef, type TemplatePart } from "./placeholders.ts";
export { escaperFor, encodeComponent, type EscapeContext } from "./escape.ts";
export { stateForNumber, AREA_CODE_STATE } from "./areacodes.ts";
export { observeConditions, type ConditionObserver } from "./probe.ts";
export { callMatches, scheduleMatches, geoMatches, localTime, type LocalTime } from "./conditions.ts";

export type TemplateCheck =
  | { ok: true; document: FlowDocument; compiled: CompiledTemplate; diagnostics: Diagnostic[] }
  | { ok: false; document: FlowDocument | null; compiled: CompiledTemplate | null; diagnostics: Diagnostic[] };

/**
 * Everything publishing needs in one step: parse, validate the XML (the XML core), then compile
 * the template (placeholders, typed variables). Diagnostics from both, sorted by position.
 */
export function checkTemplate(xml: string, options: CompileOptions = {}): TemplateCheck {
  const flow = checkFlow(xml, { template: true });
  if (!flow.document) return { ok: false, document: null, compiled: null, diagnostics: flow.diagnostics };
  const compiled = compileTemplate(flow.document.root, options);
  const diagnostics = finishDiagnostics(dedupe([...flow.diagnostics, ...compiled.diagnostics]));
  const ok = flow.ok && compiled.ok;
  return ok ? { ok, document: flow.document, compiled, diagnostics } : { ok, document: flow.document, compiled, diagnostics };
}

/** The XML core flags some dynamic values itself; keep one finding per place and message. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    if (d.code === "too-many-findings") return true;
    const k = `${d.line}:${d.col}:${d.code}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
