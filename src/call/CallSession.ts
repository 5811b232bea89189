import { DurableObject } from "cloudflare:workers";

/**
 * One object per call (SPEC a, DESIGN "paths data takes"): the single writer for a call's
 * IVR state, deadlines and event log. Reached by `env.CALL.getByName(callUuid)`.
 */
export class CallSession extends DurableObject<Env> {
  async ping(): Promise<string> {
    return "pong";
  }
}
