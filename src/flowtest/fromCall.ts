/**
 * A recorded call as a scenario ("save as test"): what the caller pressed and when, what each
 * dialled destination did, and what happened — the spoken prompts, the dials and the end as
 * expectations, and the whole transcript as the golden one. Pure TypeScript, for the console
 * in the browser as much as for the CLI.
 *
 * @example
 * const result = await placeCall(scenario, options);          // or the console's phone call
 * const { events } = await (await fetch(`/v1/calls/${result.call.uuid}`, auth)).json();
 * const scenario = scenarioFromCall(result, { name: "sales answers", events });
 * // YAML.stringify({ scenarios: [scenario] }) appends to ivr-menu.test.yaml
 */
import type { CallEvent } from "../events/shapes.ts";
import type { CallerInput, CallResult, DialOutcome } from "../../sim/types.ts";
import type { Expectation, TestScenario } from "./format.ts";
import { buildSteps, decisionsOf, formatSteps } from "./steps.ts";

export interface FromCallOptions {
  name: string;
  /** The call's events from tactflow (`GET /v1/calls/{call}` → events), for its Gather decisions. */
  events?: readonly CallEvent[];
  /** Keep the transcript as the golden one (default true). */
  transcript?: boolean;
}

/** The scenario that replays `result` and expects what happened in it. */
export function scenarioFromCall(result: CallResult, opts: FromCallOptions): TestScenario {
  const inputs: CallerInput[] = [];
  const dial: Record<string, DialOutcome> = {};
  let talkMs: number | undefined;
  const expect: Expectation[] = [];
  let pointStart: number | null = null;
  let pressed: CallerInput | null = null;
  const closePoint = () => {
    if (pointStart !== null) inputs.push(pressed ?? { digits: "" });
    pointStart = null;
    pressed = null;
  };
  for (const e of result.trace) {
    switch (e.kind) {
      case "GATHER":
        closePoint();
        pointStart = e.t;
        break;
      case "PAUSE":
        if (e.detail.stopKeys && pointStart === null) {
          // A Pause the caller may end is an input point of its own; its keys come right after it.
          pointStart = e.t;
        }
        break;
      case "DTMF":
        if (pointStart !== null && !pressed) pressed = { digits: e.detail.keys, afterMs: e.t - pointStart };
        break;
      case "REQUEST":
      case "BRANCH":
      case "TIMEOUT":
        if (e.kind !== "TIMEOUT") closePoint();
        break;
      case "SAY":
        expect.push({ say: e.detail.text });
        break;
      case "DIAL":
        for (const t of e.detail.targets) dial[t.target] = t.outcome;
        if (e.detail.talkMs !== undefined) talkMs = e.detail.talkMs;
        expect.push({ dial: { to: e.detail.answeredBy ?? e.detail.targets[0]?.target ?? "", result: e.detail.result } });
        break;
      case "HANGUP":
        if (e.detail.by === "caller" && pointStart !== null) {
          inputs.push({ digits: "", hangup: true, afterMs: e.t - pointStart });
          pointStart = null;
          pressed = null;
        }
        break;
      default:
        break;
    }
  }
  closePoint();
  const end = result.end;
  expect.push({ end: { cause: end.cause, ...(end.tag !== undefined ? { tag: end.tag } : {}) } });
  const scenario: TestScenario = {
    name: opts.name,
    from: result.call.from,
    to: result.call.to,
    at: result.startedAt,
    callId: result.call.uuid,
    ...(inputs.length ? { inputs } : {}),
    ...(Object.keys(dial).length ? { dial } : {}),
    ...(talkMs !== undefined ? { talkMs } : {}),
    ...(end.cause === "caller-hangup" && !inputs.some((i) => i.hangup) ? { hangupAfterMs: end.t } : {}),
    expect,
  };
  if (opts.transcript !== false) scenario.transcript = formatSteps(result, buildSteps(result, decisionsOf(opts.events ?? [])));
  return scenario;
}
