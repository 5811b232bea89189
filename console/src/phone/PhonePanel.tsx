/**
 * The phone on the flow page: call the draft (in this browser) or the published number (through
 * the server), hear it, press keys, and watch the call go through the graph and the editor.
 * Loaded on first use (its own chunk): the simulator and the IVR engine are not part of the
 * first page load.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { PinnedFlowMeta } from "../../../src/call/render.ts";
import type { FlowDocument } from "../../../src/xml/index.ts";
import type { FlowSettings, FlowVersion } from "../api.ts";
import { formatTn } from "../format.ts";
import { GraphBoundary, GraphView } from "../graph/GraphView.tsx";
import type { FlowGraph, GraphNode } from "../graph/model.ts";
import { useApi } from "../ui/context.ts";
import { errorText } from "../ui/states.tsx";
import { PhoneCall } from "./call.ts";
import { EMPTY_PATH, followSteps, type CallPath, type FollowStep } from "./follow.ts";
import { Handset } from "./Handset.tsx";
import { SaveTest } from "./SaveTest.tsx";
import { DEFAULT_WORLD, OutsideWorld, worldOf, type World } from "./OutsideWorld.tsx";
import { BrowserEngine } from "./engine.ts";
import { draftTarget, markedFlow, publishedTarget, type PhoneTarget } from "./target.ts";
import { Transcript } from "./Transcript.tsx";

export interface PhonePanelProps {
  tn: string | null;
  published: FlowVersion | null;
  dirty: boolean;
  text: string;
  settings: FlowSettings;
  document: FlowDocument | null;
  graph: FlowGraph | null;
  problems: ReadonlyMap<string, "error" | "warning">;
  /** The call's way through the flow changed: the page marks the editor and the graph tab. */
  onPath: (path: CallPath) => void;
  /** Select an element's lines in the editor. */
  onSelect: (offset: number) => void;
}

type Source = "draft" | "published";

function metaOf(s: FlowSettings): PinnedFlowMeta {
  return {
    mode: s.mode,
    timezone: s.timezone,
    variables: s.variables,
    conditions: s.conditions,
    ...(s.parkTimeoutMs !== undefined ? { parkTimeoutMs: s.parkTimeoutMs } : {}),
  };
}

/** The steps of a call for the graph: offsets, and the outcomes that pick a branch head. */
function stepsOf(call: PhoneCall): FollowStep[] {
  return call.trace.map((e, i) => {
    const offset = call.offsets[i] ?? null;
    if (e.kind === "CONDITION") return { offset, outcome: e.detail.matched ? "matched" : "not-matched" };
    if (e.kind === "DIAL" && e.detail.result === "answered") return { offset, outcome: "ok" };
    return { offset };
  });
}

export default function PhonePanel(props: PhonePanelProps) {
  const api = useApi();
  const [source, setSource] = useState<Source>(props.published && !props.dirty ? "published" : "draft");
  const [from, setFrom] = useState("+12125550123");
  const [world, setWorld] = useState<World>(DEFAULT_WORLD);
  const [muted, setMuted] = useState(false);
  const [fastForward, setFastForward] = useState(false);
  const [call, setCall] = useState<PhoneCall | null>(null);
  const [, setVersion] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [entered, setEntered] = useState<{ point: number; keys: string }>({ point: -1, keys: "" });
  const [starting, setStarting] = useState(false);
  /** What the last call ran: the flow's text and settings, and the outside world's replies ("save as test"). */
  const [ran, setRan] = useState<{ text: string; settings: FlowSettings; replies: World["replies"] } | null>(null);

  const { targets, urls } = useMemo(() => worldOf(props.document, props.settings.variables), [props.document, props.settings.variables]);
  const canPublished = !!props.tn && !!props.published;

  // Hang up when the panel goes away (another page, another number).
  const live = useRef<PhoneCall | null>(null);
  live.current = call;
  useEffect(() => () => live.current?.hangUp(), []);

  const up = !!call && call.phase !== "ended";
  const path = useMemo(() => {
    if (!call || !props.graph) return EMPTY_PATH;
    const ended = call.phase === "ended" ? { endOfFlow: call.result?.end.cause === "end-of-flow" } : null;
    return followSteps(props.graph, stepsOf(call), ended);
  }, [call, call?.version, props.graph]);
  useEffect(() => props.onPath(path), [path]);

  // The keys shown on the display are those of the current input point.
  const point = call ? call.trace.findLastIndex((e) => e.kind === "GATHER" || (e.kind === "PAUSE" && !!e.detail.stopKeys)) : -1;
  const shownKeys = entered.point === point ? entered.keys : "";

  const place = async () => {
    setProblem(null);
    const to = props.tn && props.tn !== "*" ? props.tn : "18005550100";
    let target: PhoneTarget;
    let callId: string | undefined;
    setStarting(true);
    try {
      if (source === "published") {
        if (!props.tn || !props.published) throw new Error("Publish the flow first.");
        const token = await api.phoneToken(props.tn, crypto.randomUUID());
        callId = token.call;
        // The call is followed in the editor's text only when that text is the published version.
        const p = props.published;
        const mirror =
          props.text === p.xml
            ? { engine: new BrowserEngine(markedFlow(p.tn, p.xml, metaOf(p)), { origin: location.origin }), version: p.version }
            : undefined;
        target = publishedTarget(location.origin, token.token ?? undefined, world.replies, mirror);
        setRan({ text: p.xml, settings: p, replies: world.replies });
      } else {
        target = draftTarget(props.tn ?? "*", props.text, metaOf(props.settings), world.replies);
        setRan({ text: props.text, settings: props.settings, replies: world.replies });
      }
    } catch (err) {
      setProblem(errorText(err as Error));
      setStarting(false);
      return;
    }
    setStarting(false);
    const c = new PhoneCall(
      { target, ...(callId ? { callId } : {}), from, to, dial: world.dial, talkMs: world.talkSeconds * 1000, muted, fastForward },
      () => setVersion((n) => n + 1),
    );
    setCall(c);
    void c.run();
  };

  const onKey = (key: string) => {
    if (call?.press(key)) setEntered((e) => ({ point, keys: e.point === point ? e.keys + key : key }));
  };

  const end = call?.result?.end ?? null;
  const endedText = call?.error ? `The call failed: ${call.error}` : end ? `Call ended: ${end.reason}` : null;
  const onSelectNode = (n: GraphNode) => {
    if (n.shape !== "start" && n.shape !== "end") props.onSelect(n.offset);
  };

  return (
    <div class="phone">
      <form
        class="phone-setup"
        onSubmit={(e) => {
          e.preventDefault();
          if (!up) void place();
        }}
      >
        <fieldset class="phone-source" disabled={up}>
          <legend class="visually-hidden">What to call</legend>
          <label class="choice-inline">
            <input type="radio" name="phone-source" checked={source === "draft"} onChange={() => setSource("draft")} /> This draft
          </label>
          <label class="choice-inline" title={canPublished ? "" : "Publish the flow first"}>
            <input
              type="radio"
              name="phone-source"
              checked={source === "published"}
              disabled={!canPublished}
              onChange={() => setSource("published")}
            />{" "}
            {props.tn ? formatTn(props.tn) : "The number"} (published)
          </label>
        </fieldset>
        <label class="phone-from">
          <span>From</span>
          <input value={from} onInput={(e) => setFrom(e.currentTarget.value)} disabled={up} inputMode="tel" aria-label="Caller number" />
        </label>
        <button type="submit" class="btn btn-primary" disabled={starting || up}>
          {up ? "On a call" : starting ? "Calling…" : call ? "Call again" : "Call"}
        </button>
        <label class="choice-inline">
          <input
            type="checkbox"
            checked={muted}
            onChange={(e) => {
              setMuted(e.currentTarget.checked);
              call?.setMuted(e.currentTarget.checked);
            }}
          />{" "}
          Mute
        </label>
        <label class="choice-inline" title="Pauses, ringing and bridged time pass at once">
          <input
            type="checkbox"
            checked={fastForward}
            onChange={(e) => {
              setFastForward(e.currentTarget.checked);
              call?.setFastForward(e.currentTarget.checked);
            }}
          />{" "}
          Fast-forward
        </label>
      </form>
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
      {source === "published" && props.dirty && !up && (
        <p class="muted phone-note">This calls the published version, not the unpublished changes in the editor.</p>
      )}
      {!up && (
        <details class="phone-world">
          <summary>Outside world: dial outcomes{urls.length ? ", replies" : ""}</summary>
          <OutsideWorld world={world} targets={targets} urls={urls} onChange={setWorld} />
        </details>
      )}
      {call?.result && call.phase === "ended" && ran && (
        <SaveTest key={call.callId} call={call} tn={props.tn} text={ran.text} settings={ran.settings} replies={ran.replies} />
      )}
      <div class="phone-main">
        <Handset
          phase={call ? call.phase : "idle"}
          keypad={call?.keypadState ?? { kind: "idle" }}
          showing={call?.showing ?? { entry: null, heard: false }}
          entered={shownKeys}
          ended={endedText}
          onKey={onKey}
          onSilent={() => call?.staySilent()}
          onHangUp={() => call?.hangUp()}
        />
        <div class="phone-right">
          <Transcript
            trace={call?.trace ?? []}
            offsets={call?.offsets ?? []}
            version={call?.version ?? 0}
            origin={call?.setup.target.baseUrl ?? ""}
            end={end}
            onSelect={props.onSelect}
          />
          <div class="phone-graph">
            <GraphBoundary resetKey={props.graph}>
              <GraphView
                graph={props.graph}
                stale={false}
                activeId={path.currentId}
                problems={props.problems}
                marks={path.marks}
                onSelect={onSelectNode}
              />
            </GraphBoundary>
          </div>
        </div>
      </div>
    </div>
  );
}
