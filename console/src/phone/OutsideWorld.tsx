/**
 * What the rest of the world does during a phone call, chosen as in a scenario file
 * (docs/testing.md): each dialled destination answers, is busy or does not answer; an answered
 * Dial stays bridged so long; each `<Callback>` or url Gather target answers a document, an
 * HTTP error, or never.
 */
import type { DialOutcome } from "../../../sim/types.ts";
import { elementChildren, textContent, type ElementNode, type FlowDocument } from "../../../src/xml/index.ts";
import type { Replies, Reply } from "./target.ts";

export interface World {
  dial: Record<string, DialOutcome>;
  talkSeconds: number;
  replies: Replies;
}

export const DEFAULT_WORLD: World = { dial: { "*": "answer" }, talkSeconds: 20, replies: {} };

/** `{{vars.x}}` as the flow's variables fill it in; other placeholders stay as written. */
function filled(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*vars\.([A-Za-z0-9_-]+)\s*\}\}/g, (m, name: string) => vars[name] ?? m);
}

/** The Dial destinations and the URLs the flow asks (Callbacks, url Gathers), as a call would see them. */
export function worldOf(doc: FlowDocument | null, vars: Record<string, string>): { targets: string[]; urls: string[] } {
  const targets = new Set<string>();
  const urls = new Set<string>();
  const walk = (el: ElementNode) => {
    for (const c of elementChildren(el)) {
      if (c.kind === "Dial") {
        for (const to of elementChildren(c)) {
          if (to.kind === "To" || to.kind === "Sip" || to.kind === "Number") {
            const t = filled(textContent(to).trim(), vars);
            if (t) targets.add(t);
          }
        }
      } else if (c.kind === "Callback" && c.props.url) urls.add(filled(c.props.url, vars));
      else if (c.kind === "Gather" && c.props.remoteUrl) urls.add(filled(c.props.remoteUrl, vars));
      walk(c);
    }
  };
  if (doc) walk(doc.root);
  return { targets: [...targets], urls: [...urls] };
}

type ReplyKind = "none" | "xml" | "status" | "timeout";

function kindOf(r: Reply | undefined): ReplyKind {
  if (r === undefined) return "none";
  if (r === "timeout") return "timeout";
  return "xml" in r ? "xml" : "status";
}

const OUTCOMES: Array<[DialOutcome, string]> = [
  ["answer", "answers"],
  ["busy", "is busy"],
  ["no-answer", "does not answer"],
];

export function OutsideWorld({
  world,
  targets,
  urls,
  onChange,
}: {
  world: World;
  targets: string[];
  urls: string[];
  onChange: (w: World) => void;
}) {
  const setDial = (target: string, outcome: DialOutcome) => onChange({ ...world, dial: { ...world.dial, [target]: outcome } });
  const setReply = (url: string, reply: Reply | undefined) => {
    const replies = { ...world.replies };
    if (reply === undefined) delete replies[url];
    else replies[url] = reply;
    onChange({ ...world, replies });
  };
  return (
    <div class="world">
      <fieldset class="world-group">
        <legend>Dialled destinations</legend>
        {[...targets, "*"].map((t) => (
          <label key={t} class="world-row">
            <span class="world-name">{t === "*" ? "any other" : <code>{t}</code>}</span>
            <select value={world.dial[t] ?? world.dial["*"] ?? "answer"} onChange={(e) => setDial(t, e.currentTarget.value as DialOutcome)}>
              {OUTCOMES.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        ))}
        <label class="world-row">
          <span class="world-name">an answered call lasts</span>
          <span>
            <input
              type="number"
              min={1}
              max={3600}
              class="num"
              value={world.talkSeconds}
              onInput={(e) => onChange({ ...world, talkSeconds: Math.max(1, Number(e.currentTarget.value) || 1) })}
            />{" "}
            s
          </span>
        </label>
      </fieldset>
      {urls.length > 0 && (
        <fieldset class="world-group">
          <legend>Replies</legend>
          {urls.map((url) => {
            const r = world.replies[url];
            const kind = kindOf(r);
            return (
              <div key={url} class="world-reply">
                <label class="world-row">
                  <code class="world-name" title={url}>
                    {url}
                  </code>
                  <select
                    value={kind}
                    onChange={(e) => {
                      const k = e.currentTarget.value as ReplyKind;
                      setReply(
                        url,
                        k === "none"
                          ? undefined
                          : k === "timeout"
                            ? "timeout"
                            : k === "status"
                              ? { status: 503 }
                              : { xml: "<Response>\n  <Say>Hello from the callback.</Say>\n</Response>" },
                      );
                    }}
                  >
                    <option value="none">not set (fails)</option>
                    <option value="xml">answers XML</option>
                    <option value="status">HTTP error</option>
                    <option value="timeout">never answers</option>
                  </select>
                </label>
                {r !== undefined && r !== "timeout" && "xml" in r && (
                  <textarea
                    class="world-xml"
                    aria-label={`Reply of ${url}`}
                    spellcheck={false}
                    value={r.xml}
                    onInput={(e) => setReply(url, { xml: e.currentTarget.value })}
                  />
                )}
                {r !== undefined && r !== "timeout" && "status" in r && (
                  <input
                    type="number"
                    class="num"
                    aria-label={`HTTP status of ${url}`}
                    min={400}
                    max={599}
                    value={r.status}
                    onInput={(e) => setReply(url, { status: Number(e.currentTarget.value) || 500 })}
                  />
                )}
              </div>
            );
          })}
        </fieldset>
      )}
    </div>
  );
}
