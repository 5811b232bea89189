/**
 * The fallback document: what a call hears whenever its flow can't be answered (no flow, KV
 * error, render error, budget exceeded, an unknown Gather). The platform's behaviour on a failed
 * top-level webhook is undocumented, so we answer a safe document rather than an HTTP error
 * (docs/opentact.md §a.3).
 */
import { log } from "../log.ts";
import { checkFlow } from "../xml/index.ts";

/** Said when nothing better can be: polite, then end the call rather than leave dead air. */
export const BUILTIN_FALLBACK_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>We are sorry, we cannot take your call right now. Please try again later. Goodbye.</Say>\n  <Hangup/>\n</Response>\n';

// FALLBACK_XML is checked once per isolate (per distinct value), not per call.
let fallbackMemo: { source: string | undefined; xml: string } | undefined;

/** The fallback document: `FALLBACK_XML` when it is a valid flow, else the built-in apology. */
export function fallbackXml(env: Pick<Env, "FALLBACK_XML">): string {
  const source = env.FALLBACK_XML;
  if (fallbackMemo && fallbackMemo.source === source) return fallbackMemo.xml;
  let xml = BUILTIN_FALLBACK_XML;
  if (source?.trim()) {
    const checked = checkFlow(source);
    // Placeholders would need a render, which is exactly what may have just failed.
    if (checked.ok && !source.includes("{{")) xml = source;
    else
      log("error", "FALLBACK_XML is not a valid flow without placeholders; serving the built-in fallback", {
        diagnostics: checked.diagnostics.slice(0, 5),
      });
  }
  fallbackMemo = { source, xml };
  return xml;
}
