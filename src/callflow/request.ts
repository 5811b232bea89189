/**
 * Reading the call out of the platform's webhook request (docs/opentact.md §a.2): the query
 * first, then a JSON or form body. Never throws: a body that can't be read just contributes
 * nothing, and the call is still answered.
 */
import type { CallRequest } from "../call/request.ts";
import { mediaType, readTextLimited } from "../http/body.ts";

/** POST bodies beyond this are not read for call fields (the call entity is a few KiB). */
const MAX_BODY_BYTES = 1 << 20;

type Fields = Record<string, unknown>;

/**
 * The call's fields, query first, then a JSON or form body (docs/opentact.md §a.2 [R]). Aliases: `ani` for
 * `from`; `tn`, `dnis` for `to`; `call_uuid`, `uuid` for `call`; `sip_control_app` for `sca`.
 * A JSON body may be the call entity itself or `{ call: {…} }`.
 */
export async function readCallRequest(req: Request, query: Fields, origin: string): Promise<CallRequest> {
  let body: Fields = {};
  let entity: Fields | undefined;
  if (req.method === "POST" && req.body) {
    const parsed = await readBody(req);
    if (parsed) {
      body = parsed;
      const inner = parsed["call"];
      entity = isObject(inner) ? inner : "from" in parsed || "uuid" in parsed || "to" in parsed ? parsed : undefined;
    }
  }
  const pick = (names: string[], fromEntity: (e: Fields) => unknown = () => undefined): string => {
    for (const source of [query, body]) {
      for (const n of names) {
        const v = scalar(source[n]);
        if (v) return v;
      }
    }
    return (entity && scalar(fromEntity(entity))) || "";
  };
  return {
    from: pick(["from", "ani"], (e) => e["from"]),
    to: pick(["to", "dnis", "tn"], (e) => e["to"] ?? (isObject(e["tn"]) ? e["tn"]["tn"] : e["tn"])),
    call: pick(["call", "call_uuid", "uuid"], (e) => e["uuid"]),
    sca: pick(["sca", "sip_control_app"], (e) => (isObject(e["sip_control_app"]) ? e["sip_control_app"]["uuid"] : e["sip_control_app"])),
    state: pick(["state"], (e) => e["state"]),
    ...(entity ? { entity } : {}),
    origin,
  };
}

async function readBody(req: Request): Promise<Fields | null> {
  try {
    const text = await readTextLimited(req, MAX_BODY_BYTES);
    if (text === null || !text.trim()) return null;
    if (mediaType(req.headers.get("content-type")) === "application/x-www-form-urlencoded")
      return Object.fromEntries(new URLSearchParams(text));
    // Opentact sends JSON (docs/opentact.md §a.2); accept it whatever the declared type, if it parses.
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** `https://host:port` of an absolute URL string (a string scan: no URL object on the hot path). */
export function originOf(url: string): string {
  const start = url.indexOf("//");
  const end = url.indexOf("/", start + 2);
  return end < 0 ? url : url.slice(0, end);
}

function isObject(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return "";
}
