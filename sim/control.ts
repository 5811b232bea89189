/**
 * The receiving side of tactflow's Call Control API (src/platform/CallControl.ts), played by the
 * simulator, so a parked call (docs/opentact.md §c) runs end to end on one machine:
 *
 *   POST /calls/{uuid}/commands   application/xml `<Response>…</Response>` → the call runs it
 *   POST /calls/{uuid}/hangup     {"q850_cause","q850_cause_string","reason"} → the call ends
 *
 * Requests carry `X-Auth-Token` (checked when a token is configured) and an `Idempotency-Key`;
 * a key seen before is acknowledged without running anything twice. Answers follow Opentact's
 * REST shape, `{success, payload}` or `{success: false, message}`.
 *
 * Fetch-API only (Request in, Response out), like the rest of `sim/`; `sim/controlServer.ts`
 * puts it on a Node HTTP port.
 */
import { parseCommands, SimulatedCall, type SimOptions } from "./call.ts";
import type { CallResult, Scenario } from "./types.ts";

interface Parked {
  call: SimulatedCall;
  /** Real time of the last thing that happened to the call, for the virtual clock's idle time. */
  lastActivity: number;
}

export interface ControlOptions {
  /** Expected `X-Auth-Token`; unset: any. */
  token?: string;
  /** Real clock; default Date.now. */
  now?: () => number;
}

export class CallControlPlatform {
  private readonly calls = new Map<string, Parked>();
  private readonly seenKeys = new Set<string>();
  private readonly token: string | undefined;
  private readonly now: () => number;
  /** Every request received, oldest first: what tests and transcripts can inspect. */
  readonly received: Array<{ call: string; action: string; status: number; body: string }> = [];

  constructor(options: ControlOptions = {}) {
    this.token = options.token;
    this.now = options.now ?? Date.now;
  }

  /** Make a call reachable by commands. */
  register(call: SimulatedCall): void {
    this.calls.set(call.call.uuid, { call, lastActivity: this.now() });
  }

  /** Stop tracking a call (one that ended without ever being parked). */
  forget(uuid: string): void {
    this.calls.delete(uuid);
  }

  /** Resolves when the call has ended, or after `maxWaitMs` of real time (then it ends it). */
  async waitForEnd(uuid: string, maxWaitMs: number): Promise<void> {
    const parked = this.calls.get(uuid);
    if (!parked) return;
    if (parked.call.end) {
      this.calls.delete(uuid);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), maxWaitMs);
    });
    const r = await Promise.race([parked.call.whenEnded().then(() => "ended" as const), giveUp]);
    clearTimeout(timer);
    if (r === "timeout") {
      await parked.call.hangup(`no command and no hang-up from tactflow within ${maxWaitMs} ms of real time`, "max-duration");
    }
    this.calls.delete(uuid);
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const m = /\/calls\/([^/]+)\/(commands|hangup)$/.exec(url.pathname);
    if (!m || request.method !== "POST")
      return reply(404, { success: false, message: "not found: POST /calls/{uuid}/commands or /calls/{uuid}/hangup" });
    const uuid = decodeURIComponent(m[1]!);
    const action = m[2]!;
    const body = await request.text();
    const answer = await this.dispatch(uuid, action, body, request.headers);
    this.received.push({ call: uuid, action, status: answer.status, body });
    return answer;
  }

  private async dispatch(uuid: string, action: string, body: string, headers: Headers): Promise<Response> {
    if (this.token !== undefined && headers.get("x-auth-token") !== this.token)
      return reply(401, { success: false, message: "bad X-Auth-Token" });
    const parked = this.calls.get(uuid);
    if (!parked || parked.call.end) return reply(404, { success: false, message: `no live call ${uuid}` });
    const key = headers.get("idempotency-key");
    if (key) {
      if (this.seenKeys.has(key)) return reply(200, { success: true, payload: { duplicate: true } });
      this.seenKeys.add(key);
    }
    const idleMs = Math.max(0, this.now() - parked.lastActivity);
    parked.lastActivity = this.now();
    if (action === "hangup") {
      let cause: { q850_cause: number; q850_cause_string: string } | undefined;
      let reason = "tactflow hung up the call";
      try {
        const parsed = JSON.parse(body) as { q850_cause?: unknown; q850_cause_string?: unknown; reason?: unknown };
        if (typeof parsed.q850_cause === "number" && typeof parsed.q850_cause_string === "string")
          cause = { q850_cause: parsed.q850_cause, q850_cause_string: parsed.q850_cause_string };
        if (typeof parsed.reason === "string" && parsed.reason) reason = parsed.reason;
      } catch {
        return reply(400, { success: false, message: "the hang-up body is not JSON" });
      }
      // Answer first, then hang up: a platform acknowledges the request, then acts on it.
      queueMicrotask(() => {
        // The call sat on hold until now: move its clock on, then end it.
        void parked.call.execute([], { idleMs }).then(() => parked.call.hangup(reason, "platform-hangup", cause));
      });
      return reply(200, { success: true, payload: { call: uuid, action } });
    }
    let commands: ReturnType<typeof parseCommands>;
    try {
      commands = parseCommands(body);
    } catch (err) {
      return reply(400, { success: false, message: `commands are not XML: ${err instanceof Error ? err.message : String(err)}` });
    }
    // Run in the background, in order (SimulatedCall queues them); the platform answers at once.
    void parked.call.execute(commands, { idleMs }).then(() => {
      parked.lastActivity = this.now();
    });
    return reply(200, { success: true, payload: { call: uuid, action, commands: commands.length } });
  }
}

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** Whether the last command the call ran put it on hold: the flow handed it to call control. */
export function endsOnHold(call: SimulatedCall): boolean {
  const commands = call.trace.filter((e) => !["EVENT", "STATE", "REQUEST", "NOTE", "DTMF"].includes(e.kind));
  return commands.at(-1)?.kind === "HOLD";
}

/**
 * A call that may be parked, from start to end: ring, fetch the flow, run it. If the flow ends
 * with the call on hold (an async flow, docs/opentact.md §c), wait for tactflow's commands or hang-up through
 * `platform`, at most `maxWaitMs` of real time; otherwise the call ends as any flow does.
 * `onParked` is told when the call starts waiting.
 */
export async function placeParkedCall(
  scenario: Scenario,
  options: SimOptions,
  platform: CallControlPlatform,
  maxWaitMs = 60_000,
  onParked?: (uuid: string) => void,
): Promise<CallResult> {
  const call = new SimulatedCall(scenario, options);
  platform.register(call);
  const first = await call.start();
  if (first) {
    const state = await call.execute(first.document, { url: first.url });
    if (state === "idle") {
      if (endsOnHold(call)) {
        onParked?.(call.call.uuid);
        await platform.waitForEnd(call.call.uuid, maxWaitMs);
      } else {
        await call.hangup("the flow ran out of commands", "end-of-flow");
      }
    }
  }
  platform.forget(call.call.uuid);
  return call.result();
}
