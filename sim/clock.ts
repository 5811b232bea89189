/**
 * The virtual clock a simulated call runs on. Nothing waits for real: a 30-second Pause is a
 * number added here, which is what makes a whole IVR run in milliseconds and deterministically.
 *
 * Deadlines (the caller hanging up, the maximum call length) are checked on every advance: a
 * step that would run past one stops exactly there and the call is over.
 */
import type { EndCause } from "./types.ts";

export interface Deadline {
  /** Virtual ms since the call started. */
  at: number;
  cause: EndCause;
  reason: string;
}

/**
 * Thrown when the call stops under the flow's feet: a deadline passed on the clock, or the step
 * limit was reached. The call runner catches it and ends the call with its cause.
 */
export class CallInterrupted {
  readonly deadline: Deadline;
  constructor(deadline: Deadline) {
    this.deadline = deadline;
  }
}

export class VirtualClock {
  /** Epoch ms of virtual time zero. */
  readonly startMs: number;
  private elapsedMs = 0;
  private readonly deadlines: Deadline[] = [];

  constructor(startMs: number) {
    this.startMs = startMs;
  }

  /** Virtual ms since the call started. */
  get now(): number {
    return this.elapsedMs;
  }

  /** The virtual wall-clock time. */
  date(): Date {
    return new Date(this.startMs + this.elapsedMs);
  }

  addDeadline(deadline: Deadline): void {
    this.deadlines.push(deadline);
    this.deadlines.sort((a, b) => a.at - b.at);
  }

  /**
   * Move time forward. Stops at the first deadline in the way and throws `CallInterrupted`, so
   * whatever was happening (a prompt, a bridge, a pause) is cut off there.
   */
  advance(ms: number): void {
    if (!(ms > 0)) return;
    const target = this.elapsedMs + ms;
    const hit = this.deadlines.find((d) => d.at >= this.elapsedMs && d.at <= target);
    if (hit) {
      this.elapsedMs = hit.at;
      throw new CallInterrupted(hit);
    }
    this.elapsedMs = target;
  }

  /** Throw when a deadline has been reached, for steps that take no time. */
  check(): void {
    const hit = this.deadlines.find((d) => d.at <= this.elapsedMs);
    if (hit) throw new CallInterrupted(hit);
  }

  /** Advance to an absolute virtual time (no-op when it is in the past). */
  advanceTo(t: number): void {
    this.advance(t - this.elapsedMs);
  }
}
