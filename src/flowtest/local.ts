/**
 * tactflow in process: a fetch handler that answers the call-flow webhook and the Gather
 * callbacks with the modules the Worker runs, over an in-memory flow store, on a clock the
 * caller sets. `tactflow test` and the publish gate place their simulated calls against it.
 *
 * - the webhook: src/callflow (reading the call, the flow lookup in the flow store, the render
 *   with its conditions, the fallback), with `now` from the virtual clock;
 * - stateful calls: the IVR engine of src/call (pin, the Gather rewrite, the state table, the
 *   continuation) over `MemoryCallState`, one per call, in place of the call object;
 * - the flow store: src/flows/store.ts over `MemoryKv`, publishing as a real publish does.
 *
 * Nothing here is a Durable Object or touches the real KV namespace, so it runs in Node and
 * inside a Worker request alike.
 */
import type { BeginInput, BeginResult, GatherResult } from "../call/api.ts";
import { answerGather, beginCall } from "../call/ivr.ts";
import { MemoryCallState } from "../call/memoryState.ts";
import { readGatherUrl } from "../call/render.ts";
import { answerCall } from "../callflow/answer.ts";
import { fallbackXml } from "../callflow/fallback.ts";
import { originOf, readCallRequest } from "../callflow/request.ts";
import type { FlowMeta } from "../flows/meta.ts";
import { flowKeyFor, publishFlow, type PublishResult } from "../flows/store.ts";
import { MemoryKv } from "./memoryKv.ts";

/** Where the in-process server pretends to be; URLs on it show as paths in transcripts. */
export const LOCAL_ORIGIN = "http://tactflow.test";
/** The webhook token calls carry in-process (Gather URLs show it redacted, as against a server). */
export const LOCAL_WEBHOOK_TOKEN = "flow-tests";
const DEFAULT_PARK_MS = 30_000;

const XML = { "content-type": "text/xml; charset=utf-8" };

/** What the server side knows of one call: its state in the engine, and its park deadline. */
export interface LocalCall {
  state: MemoryCallState;
  /** Epoch ms of the park deadline of an async call, once served. */
  parkDeadlineAt: number | null;
  parkTimeoutMs: number | null;
}

export class LocalTactflow {
  readonly origin = LOCAL_ORIGIN;
  readonly webhookToken = LOCAL_WEBHOOK_TOKEN;
  readonly #kv = new MemoryKv();
  readonly #calls = new Map<string, LocalCall>();
  readonly #env: Env;
  readonly #defaultParkMs: number;
  /** The time the server sees; the runner points it at the call's virtual clock. */
  now: () => Date = () => new Date();

  constructor(opts: { defaultParkMs?: number } = {}) {
    this.#defaultParkMs = opts.defaultParkMs ?? DEFAULT_PARK_MS;
    const local = this;
    // The call object's RPC surface that the webhook's stateful path calls (src/call/begin.ts).
    const namespace = {
      getByName(id: string) {
        return {
          async begin(input: BeginInput): Promise<BeginResult> {
            const call = local.call(id);
            const { result, parkDeadlineAt } = beginCall(call.state, input, { now: local.now(), defaultParkMs: local.#defaultParkMs });
            if (parkDeadlineAt !== null) {
              call.parkDeadlineAt = parkDeadlineAt;
              call.parkTimeoutMs = input.flow.meta.parkTimeoutMs || local.#defaultParkMs;
            }
            return result;
          },
        };
      },
    };
    // Only the bindings the webhook and the flow store read; the cast is the one place this
    // stands in for the Worker's environment.
    this.#env = {
      FLOWS: this.#kv.asNamespace(),
      CALL: namespace,
      WEBHOOK_TOKEN: LOCAL_WEBHOOK_TOKEN,
      PARK_TIMEOUT_MS: String(this.#defaultParkMs),
      // Every read sees the latest publish: the store's pointer memo keeps nothing here.
      FLOW_POINTER_MEMO_MS: "0",
    } as unknown as Env;
  }

  /** Publish a flow into the in-memory store, through the flow store's own publish. */
  publish(tn: string, xml: string, meta: FlowMeta): Promise<PublishResult> {
    const key = flowKeyFor(tn);
    if (!key) throw new Error(`"${tn}" is not a telephone number`);
    return publishFlow(this.#env, key, xml, meta);
  }

  /** The server's record of a call (created on first use, as the call object is). */
  call(id: string): LocalCall {
    let c = this.#calls.get(id);
    if (!c) {
      c = { state: new MemoryCallState(), parkDeadlineAt: null, parkTimeoutMs: null };
      this.#calls.set(id, c);
    }
    return c;
  }

  /** The record of a call, if the server ever kept one. */
  peek(id: string): LocalCall | undefined {
    return this.#calls.get(id);
  }

  /** Forget every call (the flows stay). */
  reset(): void {
    this.#calls.clear();
  }

  /** The fetch the simulator uses to reach this server. */
  readonly fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname === "/v1/callflow") {
      const query = Object.fromEntries(url.searchParams);
      const call = await readCallRequest(request, query, originOf(request.url));
      const answer = await answerCall(this.#env, call, { now: this.now() });
      return new Response(answer.xml, { headers: { ...XML, ...(answer.fallback ? { "x-tactflow-fallback": answer.fallback } : {}) } });
    }
    const gather = url.pathname.endsWith("/gather") ? readGatherUrl(request.url) : null;
    if (gather) {
      const digits = url.searchParams.get("dtmf") ?? url.searchParams.get("code");
      const known = this.#calls.get(gather.call);
      const result: GatherResult = known
        ? answerGather(known.state, { node: gather.node, attempt: gather.attempt, digits }, { now: this.now() })
        : { ok: false, reason: "unknown-call", detail: "no flow was started for this call" };
      if (!result.ok) return new Response(fallbackXml(this.#env), { headers: { ...XML, "x-tactflow-fallback": result.reason } });
      return new Response(result.xml, { headers: XML });
    }
    if (url.pathname === "/v1/webhooks/events") return new Response(null, { status: 202 });
    return new Response("not found", { status: 404 });
  };
}
