import { DurableObject } from "cloudflare:workers";
import type { CallTrace } from "../call/trace.ts";
import { parsedFlow } from "../call/render.ts";
import { loadVersion } from "../flows/store.ts";
import { describeError, log } from "../log.ts";
import { type InsightsTables, InsightsBook, type LoadedFlowVersion, QUICK_HANGUP_MS, type RenderMark, hourOf } from "./book.ts";
import { CALL_ROW_RETENTION_MS, COUNTER_RETENTION_MS, migrateInsights, SqlInsightsTables } from "./sqlTables.ts";
import { buildInsights, type Insights } from "./summary.ts";

const SWEEP_EVERY_MS = 3_600_000;

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
 */
export class FlowInsights extends DurableObject<Env> {
  readonly #tables: SqlInsightsTables;
  readonly #book: InsightsBook;
  readonly #flows = new Map<string, LoadedFlowVersion | null>();
  #sweepArmed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateInsights(ctx.storage.sql);
    this.#tables = new SqlInsightsTables(ctx.storage.sql);
    this.#book = new InsightsBook(this.#tables satisfies InsightsTables, {
      quickMs: QUICK_HANGUP_MS,
      flow: (version) => this.#flows.get(version) ?? null,
    });
  }

  /** A batch of the webhook's render marks for this number. */
  async renders(marks: readonly RenderMark[]): Promise<{ counted: number }> {
    await this.#load(marks.flatMap((m) => this.#book.versionsFor(m)));
    const now = Date.now();
    for (const m of marks) this.#book.mark(m, now);
    await this.#armSweep();
    return { counted: marks.length };
  }

  /** A call's trace from its object, once the call is over. */
  async report(trace: CallTrace): Promise<{ result: "counted" | "waiting" | "duplicate" }> {
    await this.#load(this.#book.versionsFor(trace));
    const result = this.#book.report(trace, Date.now());
    await this.#armSweep();
    return { result };
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
    await this.#armSweep();
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
