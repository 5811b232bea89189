/**
 * The Insights tab of the flow page: how many calls the published version answered, how they
 * ended, the health rates canary publishing compares, calls per hour, and where callers hung up
 * (each a link to its lines). The same figures go on the graph as percentages (see overlay.ts).
 */
import { shortVersion } from "../format.ts";
import { ErrorState } from "../ui/states.tsx";
import { HourChart } from "./HourChart.tsx";
import { dropOffs, percent } from "./overlay.ts";
import type { EndKind, InsightsAnswer } from "./types.ts";
import type { FlowInsights, InsightsRange } from "./useFlowInsights.ts";
import "./insights.css";

const ENDS: Record<EndKind, string> = {
  "flow-hangup": "the flow hung up",
  "caller-hangup": "the caller hung up",
  dial: "in a Dial",
  "end-of-flow": "the flow ran out",
  fallback: "the fallback",
  "left-flow": "left for another document",
  parked: "parked",
  "park-timeout": "park timed out",
};
const RANGES: { id: InsightsRange; label: string }[] = [
  { id: "24h", label: "24 hours" },
  { id: "7d", label: "7 days" },
  { id: "30d", label: "30 days" },
];

const ROLLOUT_WORDS: Record<string, string> = {
  active: "running",
  promoted: "promoted",
  aborted: "aborted",
  "auto-aborted": "rolled back automatically",
};

const count = (n: number) => n.toLocaleString("en-US");
const rate = (r: number | null) => (r === null ? "–" : percent(r));

export interface InsightsPanelProps {
  insights: FlowInsights;
  published: boolean;
  /** The flow is the catch-all (`*`). */
  catchAll?: boolean;
  /** Select a node's lines in the editor (its graph id). */
  onSelect: (graphId: string) => void;
}

export function InsightsPanel({ insights, published, catchAll, onSelect }: InsightsPanelProps) {
  if (!published) return <p class="muted">Insights appear once the flow is published and called.</p>;
  if (catchAll)
    return <p class="muted">Calls the catch-all answers are counted under the number that was dialled: open that number's flow.</p>;
  const { state, range, setRange, show, setShow, matchesGraph } = insights;
  const data = state.data;
  return (
    <div class="insights" aria-busy={state.status === "loading"}>
      <div class="insights-tools">
        <fieldset class="segmented" aria-label="Range">
          {RANGES.map((r) => (
            <button key={r.id} type="button" class="btn btn-small" aria-pressed={range === r.id} onClick={() => setRange(r.id)}>
              {r.label}
            </button>
          ))}
        </fieldset>
        <button type="button" class="btn btn-small" onClick={state.reload} disabled={state.status === "loading"}>
          {state.status === "loading" ? "Loading…" : "Refresh"}
        </button>
        <label class="insights-show">
          <input type="checkbox" checked={show} onChange={(e) => setShow((e.target as HTMLInputElement).checked)} /> Percentages on the
          graph
        </label>
      </div>
      {state.status === "error" && <ErrorState error={state.error} retry={state.reload} />}
      {data && <Figures data={data} onSelect={onSelect} />}
      {data && show && !matchesGraph && data.paths > 0 && (
        <p class="muted" role="status">
          The editor holds unpublished changes, so the graph is not the version these calls took: its percentages come back when the text is
          the published version again.
        </p>
      )}
    </div>
  );
}

function Figures({ data, onSelect }: { data: InsightsAnswer; onSelect: (graphId: string) => void }) {
  const ended = (Object.entries(data.ended) as Array<[EndKind, number]>).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const drops = dropOffs(data);
  const reached = new Map(data.nodes.map((n) => [n.id, n.entered]));
  return (
    <>
      <p class="insights-headline">
        <strong>{count(data.calls)}</strong> calls to version <code>{shortVersion(data.version)}</code>
        {data.current === data.version ? " (current)" : ""}
        {data.meanDurationMs !== null && <span class="muted"> · {Math.round(data.meanDurationMs / 1000)} s on average</span>}
      </p>
      {data.rollout && <RolloutLine data={data} />}
      {data.calls === 0 ? (
        <p class="muted">No calls in this range yet.</p>
      ) : (
        <>
          {ended.length > 0 && (
            <div class="ended">
              <div class="ended-bar" aria-hidden="true">
                {ended.map(([k, n]) => (
                  <span key={k} class={`end-${k}`} style={{ width: `${(n / Math.max(1, data.paths)) * 100}%` }} />
                ))}
              </div>
              <ul class="ended-list">
                {ended.map(([k, n]) => (
                  <li key={k}>
                    <span class={`swatch end-${k}`} /> {ENDS[k]} <strong>{count(n)}</strong>{" "}
                    <span class="muted">{percent(n / Math.max(1, data.paths))}</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <dl class="health">
            <div>
              <dt>fallbacks</dt>
              <dd>{rate(data.fallbackRate)}</dd>
            </div>
            <div>
              <dt>errors</dt>
              <dd>{rate(data.errorRate)}</dd>
            </div>
            <div>
              <dt>quick hang-ups</dt>
              <dd>{rate(data.quickRate)}</dd>
            </div>
          </dl>
          <HourChart hours={data.hours} from={data.from} to={data.to} />
          {drops.length > 0 && (
            <section class="drops" aria-label="Where callers hung up">
              <h3>Where callers hung up</h3>
              <ol>
                {drops.map((n) => (
                  <li key={n.id}>
                    <button type="button" class="linkish" onClick={() => onSelect(n.id.slice(1))}>
                      line {n.line} · &lt;{n.tag}&gt; {n.label}
                    </button>
                    <span>
                      <strong>{count(n.hungUp)}</strong>{" "}
                      <span class="muted">
                        of {count(reached.get(n.id) ?? n.entered)} who reached it ({percent(n.hungUp / Math.max(1, n.entered))})
                      </span>
                    </span>
                  </li>
                ))}
              </ol>
            </section>
          )}
        </>
      )}
    </>
  );
}

function RolloutLine({ data }: { data: InsightsAnswer }) {
  const r = data.rollout!;
  const state = ROLLOUT_WORDS[r.state] ?? r.state;
  return (
    <p class={`rollout rollout-${r.state}`} role="status">
      Canary <code>{shortVersion(r.candidate)}</code> for {r.percent} % of callers, stable <code>{shortVersion(r.stable)}</code>:{" "}
      <strong>{state}</strong>
      {r.reason ? ` — ${r.reason}` : ""}
    </p>
  );
}
