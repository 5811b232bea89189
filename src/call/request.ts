/**
 * The call as the platform's webhook request describes it (docs/opentact.md §a.2), read by the
 * call-flow webhook (src/callflow/request.ts) and handed to the call object when the flow needs
 * one (src/call/begin.ts). It sits here, below both, so neither imports the other.
 */
import type { CallFacts } from "./api.ts";

/** Every field a plain string, "" when the platform didn't send it. */
export interface CallRequest extends CallFacts {
  /** Caller number (ANI) as received. */
  from: string;
  /** Dialled number (DNIS) as received; the TN is looked up from it. */
  to: string;
  /** Call uuid, or "". */
  call: string;
  /** SIP Control App uuid, or "". */
  sca: string;
  /** Call state (`live`, …), or "". */
  state: string;
  /** The call entity from a POST body, when one came. */
  entity?: Record<string, unknown>;
  /** The origin the webhook was reached at, for URLs the platform calls back. */
  origin?: string;
  /**
   * The token the call's Gather URLs carry instead of WEBHOOK_TOKEN: the phone token the
   * webhook was called with (src/http/phoneToken.ts), so a browser never sees WEBHOOK_TOKEN.
   */
  gatherToken?: string;
}
