/**
 * tactflow's answers, in the browser: the call-flow webhook and the Gather URLs of one flow
 * version, by the Worker's own modules — the template render (src/template) for flows the
 * webhook answers alone, and the IVR engine (src/call/ivr.ts: the version pinned per call, the
 * Gather rewrite, the state table, the continuation) over memory instead of a call object.
 *
 * The phone uses it twice: as the server of a call to the draft, and as a mirror of a call to
 * the published number, fed the same requests the real server gets. Either way its flow is the
 * text with marks on every element (target.ts), so each document it answers says which
 * element of the text every command came from.
 */
import type { CallEvent } from "../../../src/events/shapes.ts";
import { answerGather, beginCall } from "../../../src/call/ivr.ts";
import { MemoryCallState } from "../../../src/call/memoryState.ts";
import { needsSession, readGatherUrl, type PinnedFlow } from "../../../src/call/render.ts";
import { compileTemplate, type CompiledTemplate, type RenderContext } from "../../../src/template/index.ts";
import { canonicalTn, normalizeTn } from "../../../src/tn.ts";
import { parseXml, type ElementNode } from "../../../src/xml/index.ts";

/** The call as the webhook reads it (query, then the POSTed call entity). */
export interface WebhookCall {
  from: string;
  to: string;
  call: string;
  sca: string;
  state: string;
  entity?: Record<string, unknown>;
}

export type EngineAnswer = { ok: true; xml: string } | { ok: false; reason: string };

const DEFAULT_PARK_MS = 30_000;

/** A short, stable id for a text (the engine caches parsed flows by version id). */
export function textId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${(h >>> 0).toString(16).padStart(8, "0")}${text.length.toString(16)}`;
}

export class BrowserEngine {
  readonly flow: PinnedFlow;
  readonly #origin: string;
  readonly #token: string | undefined;
  readonly #calls = new Map<string, MemoryCallState>();
  #compiled: CompiledTemplate | null = null;

  constructor(flow: PinnedFlow, opts: { origin: string; token?: string }) {
    this.flow = flow;
    this.#origin = opts.origin;
    this.#token = opts.token;
  }

  /** What the call's object logged (its Gather decisions), for a call this engine served. */
  events(call: string): readonly CallEvent[] {
    return this.#calls.get(call)?.events ?? [];
  }

  #state(call: string): MemoryCallState {
    let s = this.#calls.get(call);
    if (!s) {
      s = new MemoryCallState();
      this.#calls.set(call, s);
    }
    return s;
  }

  /** The render context, as the webhook builds it (src/callflow/context.ts). */
  #context(call: WebhookCall, now: Date): RenderContext {
    const dialled = normalizeTn(call.to);
    return {
      from: call.from,
      to: call.to,
      tn: this.flow.tn === "*" ? (dialled ? canonicalTn(dialled) : "") : this.flow.tn,
      call: call.call,
      sca: call.sca,
      now,
      vars: this.flow.meta.variables,
      timezone: this.flow.meta.timezone,
      ...(call.state ? { state: call.state } : {}),
      ...(call.entity ? { entity: call.entity } : {}),
    };
  }

  /** The call-flow webhook's document for `call`. */
  webhook(call: WebhookCall, now: Date = new Date()): EngineAnswer {
    try {
      if (needsSession(this.flow)) {
        const facts = { from: call.from, to: call.to, sca: call.sca, state: call.state, ...(call.entity ? { entity: call.entity } : {}) };
        const { result } = beginCall(
          this.#state(call.call),
          { call: call.call, flow: this.flow, facts, origin: this.#origin, ...(this.#token ? { token: this.#token } : {}) },
          { now, defaultParkMs: DEFAULT_PARK_MS },
        );
        return result.ok ? { ok: true, xml: result.xml } : { ok: false, reason: result.error };
      }
      this.#compiled ??= compileTemplate(rootOf(this.flow.xml), {
        variables: this.flow.meta.variables,
        conditions: this.flow.meta.conditions,
      });
      return { ok: true, xml: this.#compiled.render(this.#context(call, now)) };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  /** A Gather URL's answer: the branch and the continuation, or the Gather again. */
  gather(url: string, digits: string | null, now: Date = new Date()): EngineAnswer {
    const at = readGatherUrl(url);
    if (!at) return { ok: false, reason: "not a Gather URL of this flow" };
    const state = this.#calls.get(at.call);
    if (!state) return { ok: false, reason: "unknown call" };
    const result = answerGather(state, { node: at.node, attempt: at.attempt, digits }, { now });
    return result.ok ? { ok: true, xml: result.xml } : { ok: false, reason: `${result.reason}: ${result.detail}` };
  }
}

function rootOf(xml: string): ElementNode {
  const { document } = parseXml(xml);
  if (!document) throw new Error("the flow does not parse");
  return document.root;
}
