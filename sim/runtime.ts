/**
 * What the executor and its parts share: the `Runtime` a call hands them (the call's clock,
 * caller, fetch and trace), the `Flow` a command leaves behind, and the small helpers that name
 * commands by path.
 */
import type { CallEntity } from "../src/events/shapes.ts";
import { elementChildren, type ElementNode, type FlowDocument } from "../src/xml/index.ts";
import type { VirtualClock } from "./clock.ts";
import type { ScriptedCaller } from "./caller.ts";
import type { FlowCommandResult } from "./events.ts";
import type { FetchLike, WaitLike } from "./http.ts";
import type { LiveCaller } from "./live.ts";
import type { CallerLocation, Timing, TraceDetails, TraceEntry, TraceKind } from "./types.ts";

/** What running a command (or a block of them) leaves the call to do next. */
export type Flow =
  | { kind: "next" }
  /** A fetched document replaces the rest of the current one (docs/opentact.md §a.3 [R]). */
  | { kind: "replace"; document: FlowDocument; url: string }
  /** `<Hangup/>` ran. */
  | { kind: "hangup"; tag?: string };

export const NEXT: Flow = { kind: "next" };

/** A recording started by `<Record>` / `<RecordStart>`, kept so `<Play record>` can play it. */
export interface Recording {
  tag: string;
  startedAt: number;
  timeoutMs?: number;
  durationMs?: number;
}

/** Everything the executor needs from the call it runs in. */
export interface Runtime {
  readonly clock: VirtualClock;
  readonly caller: ScriptedCaller;
  readonly timing: Timing;
  /** The live call entity; read for conditions and request parameters. */
  readonly call: CallEntity;
  readonly fetch: FetchLike;
  readonly wait: WaitLike;
  /** Zone for `<Schedule>` blocks without `tz`. */
  readonly timezone: string;
  /** Timeout for `<Gather url>` requests (the platform's own request timeout). */
  readonly requestTimeoutMs: number;
  /** How long an answered Dial stays bridged. */
  readonly talkMs: number;
  readonly recordings: Map<string, Recording>;
  location(): CallerLocation | undefined;
  /** Record a step; answers the entry as recorded (a live call fills in what it learns later, e.g. that a key cut a prompt short). */
  trace<K extends TraceKind>(kind: K, detail: TraceDetails[K], path?: string): TraceEntry;
  note(message: string, path?: string): void;
  /** Count a command against the step limit; throws `CallInterrupted` past it. */
  step(): void;
  /** Answer the call if it is not live yet. */
  goLive(): Promise<void>;
  flowEvent(result: FlowCommandResult): Promise<void>;
  /** Per-command results so far, for the POST body of a dialect-A Gather callback (docs/opentact.md §b.6). */
  history(): unknown[];
  /** A caller at a real keypad (sim/live.ts): time passes for real and keys come as pressed. Absent: the scripted caller. */
  readonly live?: LiveCaller;
}

export type Indexed<T extends ElementNode = ElementNode> = { el: T; path: string };

export function childPath(parent: string, el: ElementNode, index: number): string {
  const own = `${el.name}[${index}]`;
  return parent ? `${parent}/${own}` : own;
}

/** Element children with their command paths (`Gather[1]/Switch[0]/Case[2]`). */
export function indexed(el: ElementNode, parentPath: string): Indexed[] {
  return elementChildren(el).map((child, i) => ({ el: child, path: childPath(parentPath, child, i) }));
}

export function resolveUrl(url: string, base: string): string {
  try {
    return new URL(url, base).toString();
  } catch {
    return url;
  }
}

export function tagOf(props: { tag?: string }): { tag?: string } {
  return props.tag !== undefined ? { tag: props.tag } : {};
}
