/**
 * tactflow in process, for insights: the webhook use case (src/callflow) over the flow store on an
 * in-memory KV, stateful calls through the IVR engine over `MemoryCallState`, the platform's
 * events applied as the call object applies them (a state only moves forward, each event once),
 * and the insights bookkeeping (src/insights/book.ts) over memory tables — reached the way the
 * Worker reaches them: the webhook's render notes through src/insights/renders.ts, each call's
 * trace (src/call/trace.ts) when the platform says the channel is gone.
 */
import type { BeginInput, BeginResult } from "../../../src/call/api.ts";
import { blankEntity } from "../../../src/call/entity.ts";
import { answerGather, beginCall } from "../../../src/call/ivr.ts";
import { MemoryCallState } from "../../../src/call/memoryState.ts";
import { readPlatformEvent, stateRank } from "../../../src/call/platformEvents.ts";
import { parsedFlow, readGatherUrl } from "../../../src/call/render.ts";
import { callTrace } from "../../../src/call/trace.ts";
import { answerCall } from "../../../src/callflow/answer.ts";
import { fallbackXml } from "../../../src/callflow/fallback.ts";
import { originOf, readCallRequest } from "../../../src/callflow/request.ts";
import { callFlowEvent, callStateEvent, type CallEntity } from "../../../src/events/shapes.ts";
import type { FlowMeta } from "../../../src/flows/meta.ts";
import { flowKeyFor, loadVersion, publishFlow } from "../../../src/flows/store.ts";
import type { AuditInput } from "../../../src/access/auditTable.ts";
import type { CanaryInput } from "../../../src/flows/canary.ts";
import { startCanary } from "../../../src/flows/rollouts.ts";
import { InsightsBook, type LoadedFlowVersion, QUICK_HANGUP_MS, type RenderMark } from "../../../src/insights/book.ts";
import { RolloutGuard } from "../../../src/insights/guard.ts";
import { rolloutEvent } from "../../../src/insights/rolloutEvent.ts";
import type { FlowRolloutEvent } from "../../../src/events/shapes.ts";
import { MemoryInsightsTables } from "../../../src/insights/memoryTables.ts";
import { noteAnswer } from "../../../src/insights/note.ts";
import { buildInsights, type Insights } from "../../../src/insights/summary.ts";
import { canonicalTn, normalizeTn } from "../../../src/tn.ts";

export const ORIGIN = "http://tactflow.test";
export const HOOK = "insights-local";

/** KV in memory: as much as the flow store uses. */
class MiniKv {
  readonly data = new Map<string, { value: string; metadata: unknown }>();
  async get(key: string | string[], opts?: { type?: string } | string): Promise<unknown> {
    const json = (typeof opts === "string" ? opts : opts?.type) === "json";
    const one = (k: string) => {
      const e = this.data.get(k);
      return e ? (json ? JSON.parse(e.value) : e.value) : null;
    };
    return Array.isArray(key) ? new Map(key.map((k) => [k, one(k)])) : one(key);
  }
  async put(key: string, value: string, opts: { metadata?: unknown } = {}): Promise<void> {
    this.data.set(key, { value, metadata: opts.metadata ?? null });
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async list(opts: { prefix?: string } = {}) {
    const keys = [...this.data.keys()].filter((k) => k.startsWith(opts.prefix ?? "")).sort();
    return { keys: keys.map((name) => ({ name, metadata: this.data.get(name)?.metadata ?? null })), list_complete: true };
  }
}

interface LocalCall {
  state: MemoryCallState;
  entity: CallEntity;
  rank: number;
  seen: Set<string>;
  reported: boolean;
}

export class LocalInsights {
  readonly kv = new MiniKv();
  readonly calls = new Map<string, LocalCall>();
  readonly tables = new MemoryInsightsTables();
  readonly flows = new Map<string, LoadedFlowVersion>();
  readonly book: InsightsBook;
  readonly #guards = new Map<string, RolloutGuard>();
  readonly env: Env;
  /** What went to the account's event stream and the audit log. */
  readonly hub: Array<Omit<FlowRolloutEvent, "seq" | "call_uuid">> = [];
  readonly audit: AuditInput[] = [];
  /** The server's clock (render and decision times). */
  now: () => number = () => Date.now();
  /** Traces delivered, and how the book took them. */
  reports = { counted: 0, waiting: 0, duplicate: 0 };

  constructor() {
    this.book = new InsightsBook(this.tables, { quickMs: QUICK_HANGUP_MS, flow: (v) => this.flows.get(v) ?? null });

    const local = this;
    // The insights object's two RPCs the webhook and the calls use, as src/insights/FlowInsights.ts does them.
    const insights = {
      getByName: (tn: string) => ({
        async renders(marks: RenderMark[]) {
          for (const m of marks) local.book.mark(m, local.now());
          const rollouts = [...new Set(marks.flatMap((m) => (m.rollout ? [m.rollout] : [])))];
          for (const id of rollouts) await local.guard(tn).check(id);
          return { counted: marks.length, ended: local.guard(tn).ended(rollouts) };
        },
      }),
    };

    const CALL = {
      getByName: (id: string) => ({
        async begin(input: BeginInput): Promise<BeginResult> {
          const call = local.call(id);
          return beginCall(call.state, input, { now: new Date(local.now()), defaultParkMs: 30_000 }).result;
        },
      }),
    };
    // The bindings the webhook, the flow store and the render notes read.
    this.env = {
      FLOWS: this.kv,
      CALL,
      INSIGHTS: insights,
      WEBHOOK_TOKEN: HOOK,
      FLOW_POINTER_MEMO_MS: "0",
      INSIGHTS_FLUSH_MS: "0",
    } as unknown as Env;
  }

  async publish(tn: string, xml: string, meta: Partial<FlowMeta> = {}): Promise<string> {
    const full: FlowMeta = { mode: "sync", timezone: "UTC", variables: {}, description: "", conditions: "evaluate", ...meta };
    const r = await publishFlow(this.env, flowKeyFor(tn)!, xml, full);
    if (r.status === "invalid") throw new Error(`invalid flow: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    await this.#load(r.version);
    return r.version;
  }

  /** Start a canary rollout of `xml` for `tn`, told to the guard as the rollout route tells the object. */
  async canary(tn: string, xml: string, canary: CanaryInput, meta: Partial<FlowMeta> = {}): Promise<{ version: string; rollout: string }> {
    const full: FlowMeta = { mode: "sync", timezone: "UTC", variables: {}, description: "", conditions: "evaluate", ...meta };
    const r = await startCanary(this.env, flowKeyFor(tn)!, xml, full, canary);
    if (r.status !== "started") throw new Error(`canary not started: ${JSON.stringify(r)}`);
    await this.#load(r.version);
    this.guard(r.tn).remember(r.rollout);
    return { version: r.version, rollout: r.rollout.id };
  }

  /** The number's rollout guard (one per insights object in the Worker). */
  guard(tn: string): RolloutGuard {
    let g = this.#guards.get(tn);
    if (!g) {
      g = new RolloutGuard({
        env: this.env,
        tn,
        tables: this.tables,
        flow: (v) => this.flows.get(v) ?? null,
        // What the object announces: the hub event (src/insights/rolloutEvent.ts) and the audit entry.
        announce: async (r, verdict) => {
          this.hub.push(rolloutEvent(tn, r, "auto-abort", { metrics: verdict.metrics }));
          this.audit.push({
            actor: "insights",
            action: "flow.auto-abort",
            tn,
            before: r.candidate,
            after: r.stable,
            detail: r.reason ?? null,
          });
        },
      });
      this.#guards.set(tn, g);
    }
    return g;
  }

  async #load(version: string): Promise<void> {
    const loaded = await loadVersion(this.env, version);
    this.flows.set(version, { parsed: parsedFlow(loaded!), meta: loaded!.meta });
  }

  call(id: string): LocalCall {
    let c = this.calls.get(id);
    if (!c) {
      c = { state: new MemoryCallState(), entity: blankEntity(id), rank: 0, seen: new Set(), reported: false };
      this.calls.set(id, c);
    }
    return c;
  }

  /** The insights of one version, as the API builds them. */
  insights(version: string): Insights {
    return buildInsights({
      version,
      fromHour: 0,
      toHour: 1e9,
      counters: this.tables.counters(version, 0, 1e9),
      hourly: this.tables.hourly(version, 0, 1e9),
      flow: this.flows.get(version)?.parsed ?? null,
    });
  }

  /** What the simulator's requests reach. */
  readonly fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const xml = { "content-type": "text/xml; charset=utf-8" };
    if (url.pathname === "/v1/callflow") {
      const call = await readCallRequest(request, Object.fromEntries(url.searchParams), originOf(request.url));
      const answer = await answerCall(this.env, call, { now: new Date(this.now()) });
      noteAnswer(this.env, undefined, call, answer, this.now());
      return new Response(answer.xml, { headers: { ...xml, "x-tactflow-version": answer.version ?? "" } });
    }
    const g = url.pathname.endsWith("/gather") ? readGatherUrl(request.url) : null;
    if (g) {
      const known = this.calls.get(g.call);
      const digits = url.searchParams.get("dtmf") ?? url.searchParams.get("code");
      const r = known ? answerGather(known.state, { node: g.node, attempt: g.attempt, digits }, { now: new Date(this.now()) }) : null;
      return new Response(r?.ok ? r.xml : fallbackXml(this.env), { headers: xml });
    }
    if (url.pathname === "/v1/webhooks/events") {
      await this.event(JSON.parse(await request.text()) as unknown);
      return new Response(null, { status: 202 });
    }
    return new Response("not found", { status: 404 });
  };

  /** One platform event, applied as the call object's lifecycle applies it (src/call/lifecycle.ts). */
  async event(body: unknown): Promise<void> {
    const r = readPlatformEvent(body);
    if (!r.ok) return;
    const ev = r.event;
    const c = this.call(ev.callUuid);
    if (c.seen.has(ev.key)) return;
    c.seen.add(ev.key);
    c.entity = { ...c.entity, ...(Object.fromEntries(Object.entries(ev.call).filter(([, v]) => v !== undefined)) as Partial<CallEntity>) };
    if (ev.type === "call_state" && ev.state) {
      if (stateRank(ev.state) <= c.rank) return;
      c.rank = stateRank(ev.state);
      c.state.emit(callStateEvent(c.entity, ev.state, new Date(ev.at)));
      if (c.rank >= 5) await this.report(ev.callUuid);
    } else if (ev.type === "call_flow" && ev.command) {
      c.state.emit(callFlowEvent(c.entity, { ...ev.command, source: "platform" }, new Date(ev.at)));
    }
  }

  /** The call is over: its trace to the book, as the call object's report does. */
  async report(id: string): Promise<void> {
    const c = this.call(id);
    const pinned = c.state.pinned();
    const facts = pinned?.facts ?? { from: c.entity.from, to: c.entity.to, sca: c.entity.sip_control_app?.uuid ?? "", state: "" };
    const trace = callTrace(
      {
        call: id,
        tn: canonicalTn(normalizeTn(facts.to)!),
        version: pinned?.flow.version ?? null,
        mode: pinned?.flow.meta.mode ?? null,
        facts: { from: facts.from, to: facts.to, sca: facts.sca, state: facts.state },
        endReason: "platform: destroyed",
      },
      c.state.events,
    );
    const result = this.book.report(trace, this.now());
    this.reports[result] += 1;
    this.calls.delete(id);
    const rollout = result === "counted" ? this.tables.call(id)?.rollout : null;
    if (rollout) await this.guard(trace.tn).check(rollout);
  }
}
