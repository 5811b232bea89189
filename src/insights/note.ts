/**
 * What the webhook notes of each call it answers, for the dialled number's insights: the call,
 * the version it got (or whose render failed), the fallback's cause. A push into isolate memory
 * (src/insights/renders.ts); the batch goes out after the response.
 */
import type { CallRequest } from "../call/request.ts";
import type { CallAnswer } from "../callflow/answer.ts";
import { CATCH_ALL } from "../flows/store.ts";
import { canonicalTn, normalizeTn } from "../tn.ts";
import type { RenderMark } from "./book.ts";
import { countingOn, type Lifetime, noteRender } from "./renders.ts";

/**
 * Note one answered call, rendered at `at` (epoch ms). Calls to a number without any flow are
 * not counted: there is nothing to show them on.
 */
export function noteAnswer(env: Env, ctx: Lifetime | undefined, call: CallRequest, answer: CallAnswer, at = Date.now()): void {
  if (!countingOn(env) || answer.fallback === "no-flow") return;
  // The flow's own key is the number's canonical form; the catch-all counts under the dialled number.
  let tn = answer.tn && answer.tn !== CATCH_ALL ? answer.tn : null;
  if (!tn) {
    const digits = normalizeTn(call.to);
    if (!digits) return;
    tn = canonicalTn(digits);
  }
  const mark: RenderMark = { call: call.call, version: answer.version ?? answer.failedVersion ?? "", at };
  if (answer.fallback) mark.fallback = answer.fallback;
  if (answer.rollout) {
    mark.rollout = answer.rollout.id;
    mark.role = answer.rollout.role;
  }
  noteRender(env, ctx, tn, mark);
}
