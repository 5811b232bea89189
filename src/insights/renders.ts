/**
 * The webhook's half of insights: each answered call is noted in isolate memory (a push, no
 * I/O), and the notes go to each number's insights object in one batch per number, after the
 * response, kept alive by `waitUntil`. A batch waits `INSIGHTS_FLUSH_MS` (default 1000 ms) to
 * gather more notes, so a busy number costs one RPC per isolate per second, not one per call.
 *
 * The answer names rollouts the number's object has ended (src/insights/guard.ts): this isolate
 * stops sending callers to their candidates at once, before the pointer's change reaches it.
 *
 * Notes that could not be sent are kept for the next batch (up to {@link MAX_PENDING}; beyond
 * that the oldest are dropped, and the log says how many).
 */
import { rolloutEnded } from "../flows/canary.ts";
import { describeError, log } from "../log.ts";
import type { RenderMark } from "./book.ts";

const DEFAULT_FLUSH_MS = 1000;
const MAX_PENDING = 20_000;
const MAX_BATCH = 2_000;

/** Notes waiting to be sent, per number (its insights object's name). */
const pending = new Map<string, RenderMark[]>();
let size = 0;
let flushing: Promise<void> | null = null;

/** What keeps a batch alive after the response: the request's execution context. */
export interface Lifetime {
  waitUntil(promise: Promise<unknown>): void;
}

/** Whether calls are counted at all (env `INSIGHTS_COUNTING=off` turns it off). */
export function countingOn(env: Pick<Env, "INSIGHTS_COUNTING">): boolean {
  return env.INSIGHTS_COUNTING !== "off";
}

function flushDelay(env: Env): number {
  const n = Number(env.INSIGHTS_FLUSH_MS);
  return env.INSIGHTS_FLUSH_MS !== undefined && env.INSIGHTS_FLUSH_MS !== "" && Number.isFinite(n) && n >= 0 ? n : DEFAULT_FLUSH_MS;
}

/**
 * Note one answered call for `tn`'s insights, and make sure a batch is on its way: the first
 * note of a batch hands the flush to `waitUntil`, later ones ride along with it.
 */
export function noteRender(env: Env, ctx: Lifetime | undefined, tn: string, mark: RenderMark): void {
  let list = pending.get(tn);
  if (!list) pending.set(tn, (list = []));
  list.push(mark);
  if (++size > MAX_PENDING) dropOldest();
  if (flushing) return;
  flushing = flushLoop(env).finally(() => {
    flushing = null;
  });
  if (ctx) ctx.waitUntil(flushing);
}

/** Take everything pending (for tests and the in-process simulation). */
export function takeRenders(): Map<string, RenderMark[]> {
  const taken = new Map(pending);
  pending.clear();
  size = 0;
  return taken;
}

/** Wait for the batch in flight, if any (tests). */
export async function rendersSettled(): Promise<void> {
  while (flushing) await flushing;
}

/** Rounds in a row that may fail before the notes wait for the next call to try again. */
const MAX_FAILED_ROUNDS = 3;

async function flushLoop(env: Env): Promise<void> {
  const delay = flushDelay(env);
  let failed = 0;
  while (size > 0 && failed < MAX_FAILED_ROUNDS) {
    if (delay > 0 || failed > 0) await new Promise((r) => setTimeout(r, Math.max(delay, 250 * failed)));
    const batch = takeRenders();
    const sent = await Promise.all([...batch].map(([tn, marks]) => send(env, tn, marks)));
    failed = sent.every(Boolean) ? 0 : failed + 1;
  }
}

/** Send one number's notes; false when some had to be kept for later. */
async function send(env: Env, tn: string, marks: RenderMark[]): Promise<boolean> {
  for (let i = 0; i < marks.length; i += MAX_BATCH) {
    const chunk = marks.slice(i, i + MAX_BATCH);
    try {
      const answer = await env.INSIGHTS.getByName(tn).renders(chunk);
      // A rollout the number's object ended: stop dealing callers to its candidate now.
      for (const id of answer.ended ?? []) rolloutEnded(id);
    } catch (err) {
      log("warn", "insights: render notes not delivered; kept for the next batch", { tn, notes: chunk.length, error: describeError(err) });
      const list = pending.get(tn) ?? [];
      pending.set(tn, [...marks.slice(i), ...list]);
      size += marks.length - i;
      if (size > MAX_PENDING) dropOldest();
      return false;
    }
  }
  return true;
}

function dropOldest(): void {
  let dropped = 0;
  for (const [tn, list] of pending) {
    while (size > MAX_PENDING && list.length) {
      list.shift();
      size--;
      dropped++;
    }
    if (!list.length) pending.delete(tn);
    if (size <= MAX_PENDING) break;
  }
  if (dropped) log("error", "insights: too many render notes waiting; dropped the oldest", { dropped });
}
