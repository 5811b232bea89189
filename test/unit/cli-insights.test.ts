/**
 * `tactflow insights`: the range flags become the API's query, and the answer reads as a funnel —
 * each element with its line, who entered, how they left, who hung up there.
 */
import { describe, expect, it } from "vitest";
import { insightsQuery, parseSince } from "../../cli/insights.ts";
import { formatInsights, type InsightsView } from "../../cli/insightsView.ts";
import { CliFailure } from "../../cli/api.ts";

const NOW = Date.parse("2026-11-30T12:00:00Z");

describe("insights query", () => {
  it("turns --since, --from, --to and --version into the API's parameters", () => {
    expect(parseSince("24h")).toBe(86_400_000);
    expect(parseSince("7d")).toBe(7 * 86_400_000);
    expect(parseSince("soon")).toBeNull();
    expect(insightsQuery({}, NOW)).toBe("");
    expect(insightsQuery({ since: "90m", version: "3f2a9c1e" }, NOW)).toBe("?version=3f2a9c1e&from=2026-11-30T10%3A30%3A00.000Z");
    expect(insightsQuery({ from: "2026-11-29T00:00:00Z", to: "2026-11-30T00:00:00Z" }, NOW)).toBe(
      "?to=2026-11-30T00%3A00%3A00.000Z&from=2026-11-29T00%3A00%3A00.000Z",
    );
  });

  it("refuses what it cannot read, as a usage error (exit 2)", () => {
    const failure = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof CliFailure ? err.exitCode : "other";
      }
      return "none";
    };
    expect(failure(() => insightsQuery({ since: "a while" }))).toBe(2);
    expect(failure(() => insightsQuery({ since: "1h", from: "2026-11-29T00:00:00Z" }))).toBe(2);
    expect(failure(() => insightsQuery({ to: "yesterday" }))).toBe(2);
  });
});

const view: InsightsView = {
  tn: "18005550100",
  current: "abcdef0123456789",
  version: "abcdef0123456789",
  versions: [{ version: "abcdef0123456789", calls: 10 }],
  from: "2026-11-29T12:00:00.000Z",
  to: "2026-11-30T12:00:00.000Z",
  calls: 10,
  paths: 10,
  fallbacks: {},
  fallbackRate: 0,
  errors: 1,
  errorRate: 0.1,
  quick: 2,
  quickRate: 0.2,
  meanDurationMs: 21_500,
  ended: { "flow-hangup": 7, "caller-hangup": 3 },
  hours: [
    { hour: "2026-11-30T10:00:00.000Z", calls: 4, paths: 4, fallbacks: 0, errors: 0, quick: 1, ended: {} },
    { hour: "2026-11-30T11:00:00.000Z", calls: 6, paths: 6, fallbacks: 0, errors: 1, quick: 1, ended: {} },
  ],
  nodes: [
    {
      id: "g0",
      tag: "Say",
      line: 2,
      col: 3,
      depth: 0,
      label: "Welcome.",
      entered: 10,
      left: [],
      hungUp: 2,
      quick: 2,
      ended: {},
      errors: 0,
    },
    {
      id: "g1",
      tag: "Gather",
      line: 3,
      col: 3,
      depth: 0,
      label: "3 attempts",
      entered: 8,
      left: [
        { how: "g1_1", label: "keys 1", calls: 5 },
        { how: "g1_2", label: "Default", calls: 2 },
      ],
      hungUp: 1,
      quick: 0,
      ended: {},
      errors: 0,
      gather: { attempts: 11, silent: 2, wrong: 1, abandoned: 1, decided: 7, medianMs: 5300, meanMs: 6000 },
    },
    { id: "g1_1_0", tag: "To", line: 4, col: 9, depth: 2, label: "", entered: 0, left: [], hungUp: 0, quick: 0, ended: {}, errors: 0 },
    {
      id: "g2",
      tag: "Hangup",
      line: 9,
      col: 3,
      depth: 0,
      label: "",
      entered: 7,
      left: [],
      hungUp: 0,
      quick: 0,
      ended: { "flow-hangup": 7 },
      errors: 0,
    },
  ],
};

describe("insights as text", () => {
  it("reads as a funnel: calls, how they ended, each element with who entered and who hung up", () => {
    const text = formatInsights(view);
    expect(text).toContain("18005550100 · version abcdef012345 (current) · 2026-11-29 12:00 → 2026-11-30 12:00 UTC");
    expect(text).toContain("10 calls · 10 with their path · 22 s on average");
    expect(text).toContain("ended: the flow hung up 7 (70.0 %) · the caller hung up 3 (30.0 %)");
    expect(text).toContain("health: fallbacks 0.0 % · errors 10.0 % · quick hang-ups 20.0 %");
    expect(text).toMatch(/ {3}2:3 {2}Say {2}Welcome\. +10 100\.0 % +2 {2}20\.0 % {2}2 within 5 s/);
    expect(text).toMatch(/→ keys 1 +5 {2}62\.5 %/);
    expect(text).toMatch(/→ hung up before choosing +1 {2}12\.5 %/);
    expect(text).toContain("11 attempts · 2 silent · 1 wrong keys · median 5.3 s to decide");
    expect(text).toMatch(/9:3 {2}Hangup +7 {2}70\.0 % +7 ended: the flow hung up/);
    // A Dial's destination is part of the Dial, not a step.
    expect(text).not.toContain(" To ");
    expect(text).toMatch(/calls per hour {2}\S+ {2}\(2 hours, peak 6 at 2026-11-30 11:00 UTC\)/);
  });

  it("says so when the range has no calls, and points at versions that had some", () => {
    const text = formatInsights({ ...view, calls: 0, paths: 0, versions: [{ version: "0123456789abcdef", calls: 4 }] });
    expect(text).toContain("No calls in this range yet.");
    expect(text).toContain("0123456789ab (4) — try --version.");
  });
});
