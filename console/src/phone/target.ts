/**
 * Where the phone's calls go, and how a step of a call is found again in the flow's text.
 *
 * - The **draft** never leaves the browser: the call-flow webhook and the Gather URLs are
 *   answered here by the Worker's own modules (engine.ts), so the draft behaves as it will once
 *   published — placeholders, conditions, the Gather rewrite and state table, `{{digits}}`.
 * - The **published** number goes through the Worker's real routes: the call-flow webhook, the
 *   Gather URLs of the call's object and the events webhook, with a phone token (see
 *   docs/console.md, "The browser phone's token").
 *
 * Either way, requests to anything else — a `<Callback>`, a url Gather of the flow's own —
 * are answered from the phone's replies, as in a scenario file (docs/testing.md): a browser
 * cannot reach arbitrary servers (CORS), and a test should not either.
 *
 * **Marks.** The draft is rendered with a `tf="OFFSET"` attribute on every element (its `<`'s
 * offset in the editor's text). Templates pass unknown attributes through and the platform
 * ignores them, so every command the simulator runs names the element of the text it came
 * from, whatever rendering did to the document's shape.
 */
import type { PinnedFlow, PinnedFlowMeta } from "../../../src/call/render.ts";
import { checkTemplate } from "../../../src/template/index.ts";
import { attrValue, elementChildren, parseXml, type ElementNode, type FlowDocument } from "../../../src/xml/index.ts";
import type { FetchLike } from "../../../sim/http.ts";
import { BrowserEngine, textId, type EngineAnswer, type WebhookCall } from "./engine.ts";

/** The attribute that carries an element's offset in the flow's text. */
export const MARK = "tf";

/** How the outside world answers one URL, as under `replies:` in a scenario file. */
export type Reply = { xml: string } | { status: number } | "timeout";

/** Replies by URL (exact, without its query, or a prefix ending in `*`). */
export type Replies = Record<string, Reply>;

export interface PhoneTarget {
  kind: "draft" | "published";
  baseUrl: string;
  fetch: FetchLike;
  webhookToken?: string;
  /** Post the call's events (the published number: they feed the call's log and the live pages). */
  events: boolean;
  /** tactflow in the browser answering this call (the draft). */
  engine?: BrowserEngine;
  /**
   * The marked copy of the document the server served last (the published number, mirrored):
   * the same commands in the same places, with marks. Null when the mirror can't follow.
   */
  marked?: () => FlowDocument | null;
}

/** The text with `tf="OFFSET"` on every element below the root (unchanged if it does not parse). */
export function instrument(text: string): string {
  const doc = parseXml(text).document;
  if (!doc) return text;
  const inserts: number[] = [];
  const walk = (el: ElementNode) => {
    for (const child of elementChildren(el)) {
      if (text[child.pos.offset] === "<") inserts.push(child.pos.offset);
      walk(child);
    }
  };
  walk(doc.root);
  let out = text;
  for (const at of inserts.sort((a, b) => b - a)) {
    const nameEnd = at + 1 + (/^[^\s/>]+/.exec(text.slice(at + 1))?.[0].length ?? 0);
    out = `${out.slice(0, nameEnd)} ${MARK}="${at}"${out.slice(nameEnd)}`;
  }
  return out;
}

/** The element a simulator path (`Gather[1]/Switch[0]/Case[2]`) names in a document. */
export function resolvePath(root: ElementNode, path: string): ElementNode | null {
  let el: ElementNode | undefined = root;
  for (const part of path.split("/")) {
    const m = /\[(\d+)\]$/.exec(part);
    if (!m || !el) return null;
    el = elementChildren(el)[Number(m[1])];
  }
  return el ?? null;
}

/** The flow-text offset of the command at `path` in a served document, from its mark. */
export function markedOffset(doc: FlowDocument, path: string): number | null {
  const el = resolvePath(doc.root, path);
  const mark = el ? attrValue(el, MARK)?.value : undefined;
  return mark !== undefined && /^\d+$/.test(mark) ? Number(mark) : null;
}

const XML_HEADERS = { "content-type": "text/xml; charset=utf-8" };

function matchReply(replies: Replies, url: string): Reply | undefined {
  const bare = url.split("?")[0]!;
  const key =
    Object.keys(replies).find((k) => k === url || k === bare) ??
    Object.keys(replies).find((k) => k.endsWith("*") && url.startsWith(k.slice(0, -1)));
  return key === undefined ? undefined : replies[key];
}

/** A reply as the outside world would give it; "timeout" never answers (the request's own deadline ends it). */
export function answerFromReplies(replies: Replies, url: string, signal?: AbortSignal | null): Promise<Response> {
  const reply = matchReply(replies, url);
  if (reply === undefined)
    return Promise.reject(new TypeError(`no reply is set for ${url.split("?")[0]} (add one under "Replies" before calling)`));
  if (reply === "timeout")
    return new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
  if ("status" in reply) return Promise.resolve(new Response(`HTTP ${reply.status}`, { status: reply.status }));
  return Promise.resolve(new Response(reply.xml, { headers: XML_HEADERS }));
}

/** Where the in-browser webhook pretends to be; transcripts show its URLs as paths. */
export const DRAFT_ORIGIN = "https://draft.tactflow.invalid";

/** The webhook request's call: the query first, then the call entity the simulator POSTs. */
export function webhookCall(url: URL, init?: RequestInit): WebhookCall {
  let entity: Record<string, unknown> = {};
  try {
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : null;
    if (body && typeof body === "object") entity = body as Record<string, unknown>;
  } catch {
    // no body: the query is enough
  }
  const q = (name: string) => url.searchParams.get(name) ?? "";
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const sca = entity["sip_control_app"];
  return {
    from: q("from") || str(entity["from"]),
    to: q("to") || str(entity["to"]),
    call: q("call") || str(entity["uuid"]),
    sca: q("sca") || (sca && typeof sca === "object" ? str((sca as Record<string, unknown>)["uuid"]) : ""),
    state: q("state") || str(entity["state"]),
    entity,
  };
}

/** The digits of a Gather request (dialect B `dtmf`, dialect A `code`); null when neither came. */
export function gatherDigits(url: URL): string | null {
  return url.searchParams.get("dtmf") ?? url.searchParams.get("code");
}

/** A flow version for the engine: the text with its marks, under a version id of its own. */
export function markedFlow(tn: string, text: string, meta: PinnedFlowMeta): PinnedFlow {
  const xml = instrument(text);
  return { version: `marked-${textId(xml)}`, tn, xml, meta };
}

/**
 * The draft as tactflow in the browser (engine.ts), marked. Throws when the draft has errors
 * (the phone says to fix them first).
 */
export function draftTarget(tn: string, text: string, meta: PinnedFlowMeta, replies: Replies): PhoneTarget {
  const check = checkTemplate(text, { variables: meta.variables, conditions: meta.conditions });
  if (!check.ok) throw new Error("The draft has errors; fix them in the editor first (the server would refuse it too).");
  const engine = new BrowserEngine(markedFlow(tn, text, meta), { origin: DRAFT_ORIGIN });
  const xmlAnswer = (a: EngineAnswer) =>
    a.ok ? new Response(a.xml, { headers: XML_HEADERS }) : new Response(`tactflow could not answer: ${a.reason}`, { status: 500 });
  const fetch: FetchLike = async (input, init) => {
    if (!input.startsWith(`${DRAFT_ORIGIN}/`)) return answerFromReplies(replies, input, init?.signal);
    const url = new URL(input);
    if (url.pathname === "/v1/webhooks/events") return new Response(null, { status: 202 });
    if (url.pathname === "/v1/callflow") return xmlAnswer(engine.webhook(webhookCall(url, init)));
    if (url.pathname.endsWith("/gather")) return xmlAnswer(engine.gather(input, gatherDigits(url)));
    return new Response("not found", { status: 404 });
  };
  return { kind: "draft", baseUrl: DRAFT_ORIGIN, fetch, events: false, engine };
}

/** Paths of tactflow's own platform-facing routes: the browser reaches them on its own origin. */
const OWN_ROUTE = /^\/v1\/(callflow|webhooks\/events|calls\/[^/]+\/gather)$/;

/** A marked copy of the published version answering the same requests as the server, for the marks. */
export interface Mirror {
  engine: BrowserEngine;
  /** The version the mirror holds; a call the server pins to another version is not mirrored. */
  version: string;
}

/**
 * The published number through the Worker's real routes, as the platform would call them. Gather
 * URLs carry the server's `PUBLIC_URL`; the same Worker serves this page, so they are fetched on
 * the page's own origin. With a mirror, each document the server answers is answered again by
 * the marked copy (engine.ts is the server's own code), whose marks then name the elements.
 */
export function publishedTarget(origin: string, token: string | undefined, replies: Replies, mirror?: Mirror): PhoneTarget {
  let marked: FlowDocument | null = null;
  let following = !!mirror;
  const fetch: FetchLike = async (input, init) => {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return answerFromReplies(replies, input, init?.signal);
    }
    if (!OWN_ROUTE.test(url.pathname)) return answerFromReplies(replies, input, init?.signal);
    const res = await globalThis.fetch(`${origin}${url.pathname}${url.search}`, { ...init, credentials: "omit", cache: "no-store" });
    if (mirror && following && res.ok) {
      const served = res.headers.get("x-tactflow-version");
      if (url.pathname === "/v1/callflow" && served !== mirror.version) following = false;
      const again =
        url.pathname === "/v1/callflow"
          ? mirror.engine.webhook(webhookCall(url, init))
          : url.pathname.endsWith("/gather")
            ? mirror.engine.gather(input, gatherDigits(url))
            : null;
      if (again) marked = again.ok && following ? parseXml(again.xml).document : null;
    }
    return res;
  };
  return {
    kind: "published",
    baseUrl: origin,
    fetch,
    ...(token ? { webhookToken: token } : {}),
    events: true,
    ...(mirror ? { marked: () => marked } : {}),
  };
}
