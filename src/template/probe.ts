/**
 * Which way condition blocks went, for flow tests: a test registers an observer under its
 * call's id, and every `<Call>`, `<Geo>` or `<Schedule>` evaluated while rendering for that
 * call reports the block and whether it held. Nothing is registered on a real call, so
 * rendering pays one size check per block.
 */
import type { ElementNode } from "../xml/index.ts";

export type ConditionObserver = (el: ElementNode, held: boolean) => void;

export const conditionObservers = new Map<string, ConditionObserver>();

/** Watch the conditions rendered for `call`; the returned function stops watching. */
export function observeConditions(call: string, observer: ConditionObserver): () => void {
  conditionObservers.set(call, observer);
  return () => {
    if (conditionObservers.get(call) === observer) conditionObservers.delete(call);
  };
}
