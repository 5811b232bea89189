/**
 * The scenario format of `tactflow test` and of the publish gate: a call, what the caller and
 * the outside world do, and what must happen. docs/testing.md describes it for authors.
 *
 * One schema reads both what people write (YAML or JSON, with shorthands: `press: ["1", silence]`,
 * `talk: 45s`, `say: /regex/`) and what tools exchange (the normalised form this module's
 * `TestScenario` type describes, which is itself valid input). A `tactflow call` script in JSON
 * is a scenario; the line format is read by sim/script.ts and lifted with `scenarioFromScript`.
 *
 * Plain TypeScript and zod: the Worker reads the same format when a flow is published with its
 * tests.
 */
import * as z from "../zod.ts";
import { KEY_PATTERN, parseDuration } from "../../sim/caller.ts";
import type { ScriptFile } from "../../sim/script.ts";
import type { CallerInput, DialOutcome, EndCause } from "../../sim/types.ts";

/** A text expectation: exact, or `/pattern/flags` (a JavaScript regular expression). */
export type TextMatch = string;

export type Expectation =
  | { say: TextMatch }
  | { play: TextMatch }
  | { dial: { to?: TextMatch; result?: "answered" | "failed" } }
  | { gather: { node?: string; tag?: string; branch?: string; attempt?: number; digits?: string } }
  | { event: { type?: "call_state" | "call_flow"; command?: string; tag?: string; success?: boolean; state?: string } }
  | { end: { cause?: EndCause; tag?: string; beforeMs?: number; afterMs?: number } }
  | { vars: Record<string, TextMatch> }
  | { line: TextMatch };

/** A canned answer of the outside world to a `<Callback>` or a url `<Gather>`. */
export interface Reply {
  /** The document to answer (200 text/xml). */
  xml?: string;
  /** An HTTP status to answer instead (with `body`). */
  status?: number;
  body?: string;
  /** Never answer: the platform waits out the command's timeout. */
  timeout?: boolean;
}

/** One scenario, normalised. Only `name` is required; everything else has a default. */
export interface TestScenario {
  name: string;
  to?: string;
  from?: string;
  /** Virtual start time, ISO 8601. */
  at?: string;
  timezone?: string;
  callId?: string;
  scaId?: string;
  method?: "GET" | "POST";
  location?: { state?: string; county?: string };
  /** Extra fields of the call entity (what `<Call field>` reads). */
  fields?: Record<string, string | number | boolean | null>;
  inputs?: CallerInput[];
  dial?: Record<string, DialOutcome>;
  talkMs?: number;
  hangupAfterMs?: number;
  /** By URL (exact, or a prefix ending in `*`); a list answers successive requests, the last repeating. */
  replies?: Record<string, Reply[]>;
  /** Commands a backend sends a parked call, at virtual times from the start of the call. */
  commands?: Array<{ atMs: number; xml: string }>;
  /** In order: each after the previous one's match. */
  expect?: Expectation[];
  /** Anywhere in the call. */
  somewhere?: Expectation[];
  /** Nowhere in the call. */
  never?: Expectation[];
  /** The golden transcript, when one was recorded (`tactflow test --update`). */
  transcript?: string;
  /** Where the scenario was written, for reports (`file:line`). */
  source?: string;
}

/** Upper bounds, so a published bundle of tests can't make the Worker work without end. */
export const LIMITS = { scenarios: 200, expectations: 200, inputs: 200, replyChars: 64 * 1024, transcriptChars: 256 * 1024 } as const;

const END_CAUSES = [
  "flow-hangup",
  "end-of-flow",
  "caller-hangup",
  "webhook-failed",
  "step-limit",
  "max-duration",
  "platform-hangup",
] as const satisfies readonly EndCause[];

const duration = z.pipe(
  z.union([z.number().check(z.int(), z.nonnegative()), z.string()]),
  z.transform((v, ctx): number => {
    if (typeof v === "number") return v;
    const ms = parseDuration(v);
    if (ms === null) return z.refuse(ctx, `"${v}" is not a duration; write e.g. 2.5s, 800ms or 2m`);
    return ms;
  }),
);

const keys = z
  .pipe(
    z.union([z.string(), z.number().check(z.int(), z.nonnegative())]),
    z.transform((v) => String(v).trim().toUpperCase()),
  )
  .check(z.refine((s) => KEY_PATTERN.test(s), "keys must be 0-9, *, #, + or A-D (or: silence, hangup)"));

const input = z
  .union([
    z.pipe(
      z.literal("silence"),
      z.transform((): CallerInput => ({ digits: "" })),
    ),
    z.pipe(
      z.literal("hangup"),
      z.transform((): CallerInput => ({ digits: "", hangup: true })),
    ),
    z.pipe(
      keys,
      z.transform((digits): CallerInput => ({ digits })),
    ),
    z.pipe(
      z.strictObject({
        press: z.optional(keys),
        digits: z.optional(keys),
        after: z.optional(duration),
        afterMs: z.optional(duration),
        hangup: z.optional(z.boolean()),
      }),
      z.transform((o): CallerInput => {
        const after = o.afterMs ?? o.after;
        return {
          digits: o.digits ?? o.press ?? "",
          ...(after !== undefined ? { afterMs: after } : {}),
          ...(o.hangup ? { hangup: true } : {}),
        };
      }),
    ),
  ])
  .check(z.describe("an input: keys such as 1 or 1234#, silence, hangup, or {press, after}"));

const text = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((v) => String(v)),
);

const reply = z
  .union([
    z.pipe(
      z.literal("timeout"),
      z.transform((): Reply => ({ timeout: true })),
    ),
    z.pipe(
      z.string(),
      z.transform((xml): Reply => ({ xml })),
    ),
    z.strictObject({
      xml: z.optional(z.string().check(z.maxLength(LIMITS.replyChars))),
      status: z.optional(z.number().check(z.int(), z.minimum(100), z.maximum(599))),
      body: z.optional(z.string().check(z.maxLength(LIMITS.replyChars))),
      timeout: z.optional(z.boolean()),
    }),
  ])
  .check(z.refine((r) => r.xml !== undefined || r.status !== undefined || r.timeout, "a reply is XML, {status}, or timeout"));

const endCause = z.enum(END_CAUSES);

const expectation = z
  .union([
    z.strictObject({ say: text }),
    z.strictObject({ play: text }),
    z.strictObject({
      dial: z.union([
        z.pipe(
          text,
          z.transform((to) => ({ to })),
        ),
        z.strictObject({ to: z.optional(text), result: z.optional(z.enum(["answered", "failed"])) }),
      ]),
    }),
    z.strictObject({
      gather: z.strictObject({
        node: z.optional(z.string()),
        tag: z.optional(z.string()),
        branch: z.optional(text),
        attempt: z.optional(z.number().check(z.int(), z.positive())),
        digits: z.optional(text),
      }),
    }),
    z.strictObject({
      event: z.strictObject({
        type: z.optional(z.enum(["call_state", "call_flow"])),
        command: z.optional(z.string()),
        tag: z.optional(z.string()),
        success: z.optional(z.boolean()),
        state: z.optional(z.string()),
      }),
    }),
    z.strictObject({
      end: z.union([
        z.pipe(
          endCause,
          z.transform((cause) => ({ cause })),
        ),
        z.pipe(
          z.strictObject({
            cause: z.optional(endCause),
            tag: z.optional(z.string()),
            before: z.optional(duration),
            after: z.optional(duration),
            beforeMs: z.optional(duration),
            afterMs: z.optional(duration),
          }),
          z.transform(({ before, after, beforeMs, afterMs, ...rest }) => {
            const b = beforeMs ?? before;
            const a = afterMs ?? after;
            return { ...rest, ...(b !== undefined ? { beforeMs: b } : {}), ...(a !== undefined ? { afterMs: a } : {}) };
          }),
        ),
      ]),
    }),
    z.strictObject({ vars: z.record(z.string(), text) }),
    z.strictObject({ line: text }),
  ])
  .check(z.describe("an expectation: say, play, dial, gather, event, end, vars or line"));

const location = z.union([
  z.pipe(
    z.string(),
    z.transform((s) => {
      const [state, ...county] = s.trim().split(/\s+/);
      return { state: (state ?? "").toUpperCase(), ...(county.length ? { county: county.join(" ") } : {}) };
    }),
  ),
  z.strictObject({ state: z.optional(z.string()), county: z.optional(z.string()) }),
]);

/** The fields a scenario and a file's defaults share. */
const callFields = {
  to: z.optional(text),
  from: z.optional(text),
  at: z.optional(z.union([z.string(), z.date()])),
  timezone: z.optional(z.string()),
  callId: z.optional(z.string()),
  scaId: z.optional(z.string()),
  method: z.optional(z.enum(["GET", "POST"])),
  location: z.optional(location),
  fields: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
  dial: z.optional(z.record(z.string(), z.enum(["answer", "busy", "no-answer"]))),
  talk: z.optional(duration),
  talkMs: z.optional(duration),
  hangup: z.optional(duration),
  hangupAfterMs: z.optional(duration),
  replies: z.optional(z.record(z.string(), z.union([reply, z.array(reply).check(z.minLength(1))]))),
};

const scenarioShape = z.strictObject({
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  ...callFields,
  inputs: z.optional(z.array(input).check(z.maxLength(LIMITS.inputs))),
  press: z.optional(z.array(input).check(z.maxLength(LIMITS.inputs))),
  commands: z.optional(
    z.array(
      z.strictObject({ at: z.optional(duration), atMs: z.optional(duration), xml: z.string().check(z.maxLength(LIMITS.replyChars)) }),
    ),
  ),
  expect: z.optional(z.array(expectation).check(z.maxLength(LIMITS.expectations))),
  somewhere: z.optional(z.array(expectation).check(z.maxLength(LIMITS.expectations))),
  never: z.optional(z.array(expectation).check(z.maxLength(LIMITS.expectations))),
  transcript: z.optional(z.string().check(z.maxLength(LIMITS.transcriptChars))),
  source: z.optional(z.string().check(z.maxLength(1000))),
});

type RawScenario = z.output<typeof scenarioShape>;

/** A file: one scenario, or `scenarios:` with defaults beside them; `flow:` names the flow under test. */
const fileShape = z.strictObject({
  flow: z.optional(z.union([z.string(), z.record(z.string(), z.unknown())])),
  tn: z.optional(text),
  ...callFields,
  scenarios: z.array(z.unknown()).check(z.maxLength(LIMITS.scenarios)),
});

export class ScenarioError extends Error {}

function describeIssues(error: z.core.$ZodError, where: string): string {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join(".");
  return `${where}${path ? ` at ${path}` : ""}: ${issue.message}`;
}

function normalise(raw: RawScenario, fallbackName: string): TestScenario {
  const { name, press, inputs, talk, talkMs, hangup, hangupAfterMs, replies, commands, at, ...rest } = raw;
  const out: TestScenario = { name: name ?? fallbackName };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  if (at !== undefined) {
    const ms = at instanceof Date ? at.getTime() : Date.parse(at);
    if (!Number.isFinite(ms))
      throw new ScenarioError(`scenario "${out.name}": at "${String(at)}" is not a date; use ISO 8601, e.g. 2026-11-23T22:30:00Z`);
    out.at = new Date(ms).toISOString();
  }
  const steps = inputs ?? press;
  if (steps) out.inputs = steps;
  const talkValue = talkMs ?? talk;
  if (talkValue !== undefined) out.talkMs = talkValue;
  const hangupValue = hangupAfterMs ?? hangup;
  if (hangupValue !== undefined) out.hangupAfterMs = hangupValue;
  if (replies) out.replies = Object.fromEntries(Object.entries(replies).map(([url, r]) => [url, Array.isArray(r) ? r : [r]]));
  if (commands) {
    out.commands = commands.map((c, i) => {
      const atMs = c.atMs ?? c.at;
      if (atMs === undefined) throw new ScenarioError(`scenario "${out.name}": commands.${i} needs at, e.g. at: 5s`);
      return { atMs, xml: c.xml };
    });
  }
  return out;
}

/**
 * Read a scenario file's parsed content (a YAML or JSON value): one scenario, or `scenarios:`
 * with shared defaults. `fileName` names scenarios without a name and prefixes errors.
 */
export function readScenarios(value: unknown, fileName = "scenarios"): { scenarios: TestScenario[]; flow?: unknown; tn?: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ScenarioError(`${fileName}: expected a scenario (a mapping) or a list under scenarios:`);
  const record = value as Record<string, unknown>;
  if (!("scenarios" in record)) {
    const one = scenarioShape.safeParse(record);
    if (!one.success) throw new ScenarioError(describeIssues(one.error, fileName));
    return { scenarios: [normalise(one.data, fileName)] };
  }
  const file = fileShape.safeParse(record);
  if (!file.success) throw new ScenarioError(describeIssues(file.error, fileName));
  const { scenarios, flow, tn, ...defaults } = file.data;
  const seen = new Set<string>();
  const out = scenarios.map((s, i) => {
    const merged = s && typeof s === "object" && !Array.isArray(s) ? { ...stripUndefined(defaults), ...(s as Record<string, unknown>) } : s;
    const parsed = scenarioShape.safeParse(merged);
    if (!parsed.success) throw new ScenarioError(describeIssues(parsed.error, `${fileName}: scenarios.${i}`));
    const scenario = normalise(parsed.data, `scenario ${i + 1}`);
    if (seen.has(scenario.name)) throw new ScenarioError(`${fileName}: two scenarios are named "${scenario.name}"; names must differ`);
    seen.add(scenario.name);
    return scenario;
  });
  return { scenarios: out, ...(flow !== undefined ? { flow } : {}), ...(tn !== undefined ? { tn } : {}) };
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Scenarios as the publish API receives them (already normalised, or written by hand). */
export const ScenarioListSchema = z.array(z.unknown()).check(z.maxLength(LIMITS.scenarios));

/** Validate scenarios that came over the wire; throws ScenarioError naming the first problem. */
export function readScenarioList(list: readonly unknown[]): TestScenario[] {
  return readScenarios({ scenarios: list }, "tests").scenarios;
}

/** A `tactflow call` script (JSON or the line format, already read by sim/script.ts) as a scenario. */
export function scenarioFromScript(script: ScriptFile, name: string): TestScenario {
  const { at, inputs, ...rest } = script;
  const out: TestScenario = { name, ...rest };
  if (at !== undefined) out.at = new Date(at).toISOString();
  if (inputs) out.inputs = inputs;
  return out;
}
