/**
 * Calls per hour over the chosen range, as small bars: each bar the hour's calls, its lower part
 * the callers who hung up. Hours without calls are drawn as gaps, so a quiet night looks quiet.
 */
import type { HourInsight } from "./types.ts";

const H = 84;
const BASE = H - 14;

export function HourChart({ hours, from, to }: { hours: readonly HourInsight[]; from: string; to: string }) {
  const start = Math.floor(Date.parse(from) / 3_600_000);
  const end = Math.ceil(Date.parse(to) / 3_600_000);
  const n = Math.max(1, end - start);
  const byHour = new Map(hours.map((h) => [Math.floor(Date.parse(h.hour) / 3_600_000), h]));
  const max = Math.max(1, ...hours.map((h) => h.calls));
  const slot = 100 / n;
  const bar = Math.max(slot * 0.7, Math.min(slot, 0.25));
  const label = (i: number) => {
    const d = new Date((start + i) * 3_600_000);
    return n <= 48 ? `${String(d.getUTCHours()).padStart(2, "0")}:00` : d.toISOString().slice(5, 10);
  };
  const ticks = [0, Math.floor(n / 2), n - 1];
  const busiest = hours.reduce<HourInsight | null>((b, h) => (!b || h.calls > b.calls ? h : b), null);
  return (
    <figure class="hour-chart">
      <svg
        viewBox={`0 0 100 ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Calls per hour; busiest ${busiest ? `${busiest.hour.slice(0, 13).replace("T", " ")}:00 UTC with ${busiest.calls} calls` : "none"}`}
      >
        <line x1="0" x2="100" y1={BASE + 0.5} y2={BASE + 0.5} class="axis" />
        {Array.from({ length: n }, (_, i) => {
          const h = byHour.get(start + i);
          if (!h) return null;
          const tall = (h.calls / max) * (BASE - 4);
          const gone = ((h.ended["caller-hangup"] ?? 0) / max) * (BASE - 4);
          const x = i * slot + (slot - bar) / 2;
          return (
            <g key={i}>
              <title>{`${h.hour.slice(0, 13).replace("T", " ")}:00 UTC — ${h.calls} calls, ${h.ended["caller-hangup"] ?? 0} hung up`}</title>
              <rect class="calls" x={x} y={BASE - tall} width={bar} height={tall} />
              {gone > 0 && <rect class="gone" x={x} y={BASE - gone} width={bar} height={gone} />}
            </g>
          );
        })}
      </svg>
      <div class="hour-ticks muted" aria-hidden="true">
        {ticks.map((i) => (
          <span key={i}>{label(i)}</span>
        ))}
      </div>
      <figcaption class="muted">
        <span class="swatch calls" /> calls per hour (UTC, most {max.toLocaleString("en-US")}) <span class="swatch gone" /> of them hung up
      </figcaption>
    </figure>
  );
}
