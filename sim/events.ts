/**
 * Events the platform posts about a call: `call_state` on every state change and `call_flow`
 * after every executed command, shaped per docs/opentact.md §d.4 / d.6 by the shared builders in
 * src/events/shapes.ts. The platform does not number its events, so the store-side fields
 * (`seq`, `call_uuid`) are left off.
 *
 * Delivery must never break a call: a failed post is noted once in the trace and the call goes on.
 */
import { callFlowEvent, callStateEvent, type CallEntity, type UnsequencedEvent } from "../src/events/shapes.ts";
import { describeError, redactUrl, type FetchLike } from "./http.ts";
import type { TraceDetails } from "./types.ts";

export interface StateDetail {
  q850_cause?: number | null;
  q850_cause_string?: string | null;
  reason?: string;
}

export interface FlowCommandResult {
  [detail: string]: unknown;
  name: string;
  success: boolean;
  reason: string;
  path: string;
  tag?: string | undefined;
}

type Record_ = (entry: TraceDetails["EVENT"]) => void;
type Note = (message: string) => void;

/** Drop the event-log field a stored event has and a platform event does not (`seq` is never set here). */
function asPlatformEvent(event: UnsequencedEvent): Record<string, unknown> {
  const { call_uuid: _stored, ...platform } = event;
  return platform;
}

export class EventPoster {
  private readonly url: string | null;
  private readonly fetchImpl: FetchLike;
  private readonly record: Record_;
  private readonly note: Note;
  private failureNoted = false;
  posted = 0;
  failed = 0;

  /** `url` null: events are built (and traced) but not sent. */
  constructor(url: string | null, fetchImpl: FetchLike, record: Record_, note: Note) {
    this.url = url;
    this.fetchImpl = fetchImpl;
    this.record = record;
    this.note = note;
  }

  get enabled(): boolean {
    return this.url !== null;
  }

  async state(call: CallEntity, state: string, at: Date, detail: StateDetail = {}): Promise<void> {
    const event = asPlatformEvent(callStateEvent(structuredClone(call), state, at, detail));
    await this.send(event, "call_state", state);
  }

  async flow(call: CallEntity, command: FlowCommandResult, at: Date): Promise<void> {
    const event = asPlatformEvent(callFlowEvent(structuredClone(call), command, at));
    await this.send(event, "call_flow", command.path);
  }

  private async send(event: Record<string, unknown>, type: "call_state" | "call_flow", name: string): Promise<void> {
    if (this.url === null) return;
    try {
      const res = await this.fetchImpl(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event),
      });
      // Drain the body so keep-alive connections are reused.
      await res.text().catch(() => "");
      if (res.ok) {
        this.posted += 1;
        this.record({ type, name, delivered: true, status: res.status });
      } else {
        this.failed += 1;
        this.record({ type, name, delivered: false, status: res.status });
        this.noteFailure(`HTTP ${res.status}`);
      }
    } catch (err) {
      this.failed += 1;
      const error = describeError(err);
      this.record({ type, name, delivered: false, error });
      this.noteFailure(error);
    }
  }

  private noteFailure(why: string): void {
    if (this.failureNoted) return;
    this.failureNoted = true;
    this.note(`posting events to ${redactUrl(this.url ?? "")} failed (${why}); the call goes on, later failures are counted but not noted`);
  }
}
