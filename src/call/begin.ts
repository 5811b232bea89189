/**
 * The seam between the call-flow webhook and the call object (docs/architecture.md §1→2):
 * when a flow needs state — a branching Gather, or async mode — its first document comes from
 * the call's `CallSession`, which pins the version and rewrites the Gathers to report to it.
 * Flows without either are rendered by the webhook alone and never touch an object.
 */
import { clip, log } from "../log.ts";
import { RenderError } from "../template/index.ts";
import type { CallFacts } from "./api.ts";
import { isCallId } from "./id.ts";
import type { PinnedFlow, PinnedFlowMeta } from "./render.ts";
import { needsSession } from "./render.ts";
import type { CallRequest } from "./request.ts";

export { needsSession };

/** What the webhook knows of the call: the same facts the call path reads from the request. */
export type WebhookCall = CallRequest;

/** A version as the flow store loads it (a structural subset of `LoadedFlow`). */
export interface WebhookFlow {
  version: string;
  tn: string;
  xml: string;
  meta: PinnedFlowMeta;
}

/**
 * The first document of a stateful call, from its CallSession. Throws RenderError when the object
 * can't render it, so the webhook answers its fallback document as for any render failure.
 */
export async function beginStatefulCall(env: Env, call: WebhookCall, flow: WebhookFlow): Promise<string> {
  let uuid = call.call;
  if (!uuid || !isCallId(uuid)) {
    // Opentact's top-level webhook may carry no call uuid (docs/opentact.md §a.2 "silent"); the Gather URLs
    // then name one of ours, and platform events for the call can't be matched to it.
    uuid = crypto.randomUUID();
    log("warn", "stateful flow without a usable call uuid; using a generated one", { given: clip(call.call, 40), call: uuid, tn: flow.tn });
  }
  const origin = (env.PUBLIC_URL?.trim() || call.origin || "").replace(/\/+$/, "");
  if (!origin) throw new RenderError("template-invalid", "no origin for the Gather URLs: set PUBLIC_URL");
  const pinned: PinnedFlow = {
    version: flow.version,
    tn: flow.tn,
    xml: flow.xml,
    meta: {
      mode: flow.meta.mode,
      timezone: flow.meta.timezone,
      variables: flow.meta.variables,
      conditions: flow.meta.conditions,
      ...(flow.meta.parkTimeoutMs !== undefined ? { parkTimeoutMs: flow.meta.parkTimeoutMs } : {}),
    },
  };
  const facts: CallFacts = {
    from: call.from,
    to: call.to,
    sca: call.sca,
    state: call.state,
    ...(call.entity ? { entity: call.entity } : {}),
  };
  const token = call.gatherToken ?? (env.WEBHOOK_TOKEN || undefined);
  const result = await env.CALL.getByName(uuid).begin({ call: uuid, flow: pinned, facts, origin, ...(token ? { token } : {}) });
  if (!result.ok)
    throw new RenderError("template-invalid", `the call object could not render flow ${flow.version.slice(0, 12)}: ${result.error}`);
  return result.xml;
}
