/**
 * The values a flow renders with for one call: what `{{from}}`, `{{tn}}`, `<Call field>` and
 * `<Schedule>` read. The webhook and the preview (`POST /v1/flows/{tn}/preview`) build it the
 * same way, so a preview shows what a call would hear.
 */
import type { CallRequest } from "../call/request.ts";
import { CATCH_ALL, type LoadedFlow } from "../flows/store.ts";
import type { RenderContext } from "../template/index.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";

/** The render context for a call of `flow`. */
export function buildRenderContext(call: CallRequest, flow: Pick<LoadedFlow, "tn" | "meta">, now: Date): RenderContext {
  // {{tn}} is the number the call was for: the flow's own TN, or for the catch-all the dialled one.
  const dialled = normalizeTn(call.to);
  return {
    from: call.from,
    to: call.to,
    tn: flow.tn === CATCH_ALL ? (dialled ? canonicalTn(dialled) : "") : flow.tn,
    call: call.call,
    sca: call.sca,
    now,
    vars: flow.meta.variables,
    timezone: flow.meta.timezone,
    ...(call.state ? { state: call.state } : {}),
    ...(call.entity ? { entity: call.entity } : {}),
  };
}
