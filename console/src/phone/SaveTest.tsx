/**
 * "Save as test": the call the phone just made, as a scenario file of the flow tests
 * (docs/testing.md) — what the caller pressed and when, what each dialled destination and each
 * reply did, and what was heard as the expectation, with the transcript as the golden one — so
 * `tactflow test` replays it and fails when the flow stops behaving this way.
 *
 * The file names the flow it tests as `NUMBER.xml` beside it, with the settings the call ran
 * under; the flow's text can be downloaded next to it (a call to the draft ran the draft).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { stringify } from "yaml";
import { scenarioFromCall } from "../../../src/flowtest/fromCall.ts";
import type { CallEvent } from "../../../src/events/shapes.ts";
import type { FlowSettings } from "../api.ts";
import { useApi } from "../ui/context.ts";
import { errorText } from "../ui/states.tsx";
import type { PhoneCall } from "./call.ts";
import type { Replies } from "./target.ts";

export interface SaveTestProps {
  call: PhoneCall;
  tn: string | null;
  /** The flow's text the call ran (the draft, or the published version). */
  text: string;
  settings: FlowSettings;
  replies: Replies;
}

function repliesOf(replies: Replies): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(replies).map(([url, r]) => [url, r === "timeout" ? "timeout" : "xml" in r ? r.xml : { status: r.status }]),
  );
}

export function SaveTest({ call, tn, text, settings, replies }: SaveTestProps) {
  const api = useApi();
  const [name, setName] = useState("");
  const [events, setEvents] = useState<readonly CallEvent[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const base = tn && tn !== "*" ? tn : "draft";

  // The Gather decisions come from the call's log: the server's, or the engine's in this browser.
  useEffect(() => {
    const engine = call.setup.target.engine;
    if (engine) {
      setEvents(engine.events(call.callId));
      return;
    }
    let gone = false;
    api.json<{ events: CallEvent[] }>(`/v1/calls/${encodeURIComponent(call.callId)}?limit=10000`).then(
      (s) => !gone && setEvents(s.events),
      (err: Error) => {
        if (gone) return;
        setProblem(`The call's log could not be read (${errorText(err)}); the test is saved without its Gather decisions.`);
        setEvents([]);
      },
    );
    return () => {
      gone = true;
    };
  }, [call]);

  const yamlText = useMemo(() => {
    if (!call.result || !events) return null;
    const scenario = scenarioFromCall(call.result, { name: name.trim() || `call at ${call.result.startedAt}`, events });
    // The call id stays: the transcript names the call's Gather URLs by it.
    const rest = scenario;
    const flow = {
      file: `${base}.xml`,
      tn: tn && tn !== "*" ? tn : call.result.call.to,
      mode: settings.mode,
      timezone: settings.timezone,
      conditions: settings.conditions,
      ...(Object.keys(settings.variables).length ? { variables: settings.variables } : {}),
      ...(settings.parkTimeoutMs !== undefined ? { parkTimeoutMs: settings.parkTimeoutMs } : {}),
    };
    const withReplies = Object.keys(replies).length ? { ...rest, replies: repliesOf(replies) } : rest;
    return `# Saved from the tactflow console. Put it beside ${base}.xml and run: npx tactflow test .\n${stringify({ flow, scenarios: [withReplies] }, { lineWidth: 0 })}`;
  }, [call.result, events, name, base, settings, replies]);

  const yamlUrl = useMemo(() => (yamlText ? URL.createObjectURL(new Blob([yamlText], { type: "application/yaml" })) : null), [yamlText]);
  const xmlUrl = useMemo(() => URL.createObjectURL(new Blob([text], { type: "application/xml" })), [text]);
  useEffect(() => () => void (yamlUrl && URL.revokeObjectURL(yamlUrl)), [yamlUrl]);
  useEffect(() => () => URL.revokeObjectURL(xmlUrl), [xmlUrl]);

  if (!call.result) return null;
  return (
    <details class="save-test">
      <summary>Save as test</summary>
      <label class="save-test-name">
        <span>Scenario name</span>
        <input value={name} placeholder="e.g. sales answers" onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      {problem && <p class="muted">{problem}</p>}
      <p class="save-test-links">
        {yamlUrl ? (
          <a class="btn btn-primary" href={yamlUrl} download={`${base}.test.yaml`}>
            Download {base}.test.yaml
          </a>
        ) : (
          <span class="muted">Reading the call's log…</span>
        )}{" "}
        <a class="btn" href={xmlUrl} download={`${base}.xml`}>
          Download the flow ({base}.xml)
        </a>
      </p>
      {yamlText && <pre class="save-test-yaml">{yamlText}</pre>}
    </details>
  );
}
