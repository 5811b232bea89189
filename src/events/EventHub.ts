import { DurableObject } from "cloudflare:workers";

/** The account-wide event stream (`/v1/events`): receives a copy of every call event. */
export class EventHub extends DurableObject<Env> {
  async ping(): Promise<string> {
    return "pong";
  }
}
