import { DurableObject } from "cloudflare:workers";
import type { CallTrace } from "../call/trace.ts";
import { parsedFlow } from "../call/render.ts";
import { recordAudit } from "../access/record.ts";
import type { Rollout } from "../flows/canary.ts";
import { loadVersion } from "../flows/store.ts";
import { describeError, log } from "../log.ts";
import { type InsightsTables, InsightsBook, type LoadedFlowVersion, QUICK_HANGUP_MS, type RenderMark, hourOf } from "./book.ts";
import { RolloutGuard, type RolloutStatus } from "./guard.ts";
import { publishRolloutEvent } from "./publishRollout.ts";
import { CALL_ROW_RETENTION_MS, COUNTER_RETENTION_MS, migrateInsights, SqlInsightsTables } from "./sqlTables.ts";
import { buildInsights, type Insights } from "./summary.ts";

const SWEEP_EVERY_MS = 3_600_000;
/** How soon the alarm retries an automatic rollback whose flow store write failed. */
const RETRY_MS = 10_000;

export interface InsightsQuery {
  /** A full version hash. */
  version: string;
  fromHour: number;
  toHour: number;
}

export interface InsightsAnswer extends Insights {
  /** Calls per version in the range, most first. */
  versions: Array<{ version: string; calls: number }>;
}

/**
 * One object per number (named by the dialled TN's canonical digits): the number's insights.
 * The webhook sends it batches of render marks, each call's object sends it the call's trace
 * when the call is over, and `InsightsBook` (src/insights/book.ts) counts each call once into
 * per-(version, hour, node, outcome) counters in SQLite. Nothing is written per call in KV.
 *
 * Assembling a path needs the flow version, which comes from the flow store (KV, then the
 * isolate's cache): it is loaded before the synchronous bookkeeping, so each RPC's writes
 * commit together and no other request interleaves with them.
 *
 * During a canary rollout it also keeps each side's health and rolls a worse candidate back on
 * its own (src/insights/guard.ts).
 */
export class FlowInsights extends DurableObject<Env> {
  readonly #tables: SqlInsightsTables;
  readonly #book: InsightsBook;
  readonly #flows = new Map<string, LoadedFlowVersion | null>();
  readonly #guard: RolloutGuard;
  #sweepArmed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateInsights(ctx.storage.sql);
    this.#tables = new SqlInsightsTables(ctx.storage.sql);
    this.#book = new InsightsBook(this.#tables satisfies InsightsTables, {
      quickMs: QUICK_HANGUP_MS,
      flow: (version) => this.#flows.get(version) ?? null,
    });
    const tn = ctx.id.name ?? "";
    this.#guard = new RolloutGuard({
      env,
      tn,
      tables: this.#tables,
      flow: (version) => this.#flows.get(version) ?? null,
      announce: async (r, verdict) => {
        await publishRolloutEvent(env, tn, r, "auto-abort", { metrics: verdict.metrics });
        await recordAudit(env, {
          actor: "insights",
          action: "flow.auto-abort",
          tn,
          before: r.candidate,
          after: r.stable,
          detail: r.reason ?? null,
        });
      },
    });
  }

  /**
   * A batch of the webhook's render marks for this number. The answer names the rollouts in it
   * that are over, so the isolate stops dealing callers to their candidates before KV says so.
   */
  async renders(marks: readonly RenderMark[]): Promise<{ counted: number; ended: string[] }> {
    const rollouts = marks.flatMap((m) => (m.rollout ? [m.rollout] : []));
    await this.#guard.adopt(rollouts);
    await this.#load(marks.flatMap((m) => this.#book.versionsFor(m)));
    const now = Date.now();
    for (const m of marks) this.#book.mark(m, now);
    for (const id of new Set(rollouts)) await this.#checkRollout(id);
    await this.#armSweep();
    return { counted: marks.length, ended: this.#guard.ended(rollouts) };
  }

  /** A call's trace from its object, once the call is over. */
  async report(trace: CallTrace): Promise<{ result: "counted" | "waiting" | "duplicate" }> {
    await this.#load(this.#book.versionsFor(trace));
    const result = this.#book.report(trace, Date.now());
    const rollout = result === "counted" ? this.#tables.call(trace.call)?.rollout : null;
    if (rollout) await this.#checkRollout(rollout);
    await this.#armSweep();
    return { result };
  }

  /** A rollout started, promoted or aborted in the flow store (the rollout routes tell this object). */
  async rollout(r: Rollout): Promise<void> {
    this.#guard.remember(r);
  }

  /** A rollout as this object sees it: each side's figures and the verdict; null when it never heard of it. */
  async rolloutStatus(id: string): Promise<RolloutStatus | null> {
    return this.#guard.status(id);
  }

  /** The insights of one version over an hour range. */
  async insights(q: InsightsQuery): Promise<InsightsAnswer> {
    await this.#load([q.version]);
    const flow = this.#flows.get(q.version) ?? null;
    const summary = buildInsights({
      version: q.version,
      fromHour: q.fromHour,
      toHour: q.toHour,
      counters: this.#tables.counters(q.version, q.fromHour, q.toHour),
      hourly: this.#tables.hourly(q.version, q.fromHour, q.toHour),
      flow: flow?.parsed ?? null,
    });
    const versions = this.#tables.versions(q.fromHour, q.toHour).map(({ version, calls }) => ({ version, calls }));
    return { ...summary, versions };
  }

  override async alarm(): Promise<void> {
    this.#sweepArmed = false;
    const now = Date.now();
    this.#tables.sweep(now - CALL_ROW_RETENTION_MS, hourOf(now - COUNTER_RETENTION_MS));
    if (this.#guard.pending()) {
      await this.#guard.retry();
      if (this.#guard.pending()) {
        await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
        return;
      }
    }
    await this.#armSweep();
  }

  async #checkRollout(id: string): Promise<void> {
    const r = this.#tables.rollout(id);
    if (r?.state !== "active") return;
    // The figures name the candidate's failing element: its flow must be at hand.
    await this.#load([r.candidate]);
    await this.#guard.check(id);
    if (this.#guard.pending()) await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
  }

  /** Load the flow versions assembly will need, once per object life (null: not stored). */
  async #load(versions: readonly string[]): Promise<void> {
    for (const version of new Set(versions)) {
      if (!version || this.#flows.has(version)) continue;
      const loaded = await loadVersion(this.env, version);
      this.#flows.set(version, loaded ? { parsed: parsedFlow(loaded), meta: loaded.meta } : null);
      if (!loaded)
        log("warn", "insights: flow version not stored; its calls are counted by how they ended only", { tn: this.ctx.id.name, version });
    }
  }

  async #armSweep(): Promise<void> {
    if (this.#sweepArmed) return;
    this.#sweepArmed = true;
    try {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
    } catch (err) {
      this.#sweepArmed = false;
      log("error", "insights: could not arm the sweep", { tn: this.ctx.id.name, error: describeError(err) });
    }
  }
}
