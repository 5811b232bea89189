/**
 * The pure parts of the call engine, in Node: node ids, continuations, the Gather
 * state table, command planning, and reading platform events of every generation.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { planCommands } from "../../src/call/commands.ts";
import { branchingGathers, continuationOf, gatherParts, locateGather, nodeIdFor, parseNodeId } from "../../src/call/flowTree.ts";
import { decideGather, normaliseDigits } from "../../src/call/gatherTable.ts";
import { readPlatformEvent, readQueryEvent, stateRank } from "../../src/call/platformEvents.ts";
import { checkFlow, elementChildren, type ElementNode } from "../../src/xml/index.ts";

function root(xml: string): ElementNode {
  const r = checkFlow(xml);
  if (!r.document) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.document.root;
}

const names = (els: ElementNode[]) => els.map((e) => (e.kind === "Say" ? `Say:${e.props.text}` : e.name));

describe("node ids", () => {
  it("round-trip and refuse anything else", ({ expect }) => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 9999 }), { minLength: 1, maxLength: 20 }), (path) => {
        expect(parseNodeId(nodeIdFor(path))).toEqual(path);
      }),
    );
    for (const bad of ["", "g", "g-1", "1_2", "g1__2", "G1", "g1_x", "g1;drop"]) expect(parseNodeId(bad), bad).toBeNull();
  });

  it("name only branching Gathers without a url", ({ expect }) => {
    const r = root(`<Response>
      <Gather><Say>collect only</Say></Gather>
      <Gather url="https://x/y"><DTMF value="1"><Say>a</Say></DTMF></Gather>
      <Gather><DTMF value="1"><Gather><Default><Say>any</Say></Default></Gather></DTMF></Gather>
    </Response>`);
    expect(branchingGathers(r).map((g) => g.id)).toEqual(["g2", "g2_0_0"]);
    expect(locateGather(r, "g0")?.el.kind).toBe("Gather");
    expect(locateGather(r, "g9")).toBeNull();
  });
});

describe("continuations", () => {
  it("skip sibling branches and destinations, unwrap condition blocks, keep recording", ({ expect }) => {
    const r = root(`<Response>
      <Say>before</Say>
      <Record tag="r"><Geo states="NJ">
        <Gather><Case dtmf="1"><Say>one</Say></Case><DTMF value="2"><Gather><DTMF value="3"><Say>x</Say></DTMF></Gather><Say>after inner</Say></DTMF><Default><Say>d</Say></Default></Gather>
        <Say>rest of geo</Say>
      </Geo><Say>rest of record</Say></Record>
      <Dial><To>sip:a@b</To><Error><Gather><DTMF value="1"><Say>e</Say></DTMF></Gather><Say>after dial gather</Say></Error></Dial>
      <Say>end</Say>
    </Response>`);
    const inner = locateGather(r, "g1_0_0_1_0")!;
    const cont = continuationOf(inner.steps);
    expect(names(cont)).toEqual(["Say:after inner", "Say:rest of geo", "Record", "Dial", "Say:end"]);
    const record = cont.find((e) => e.kind === "Record")!;
    expect(names(elementChildren(record))).toEqual(["Say:rest of record"]);
    const inDial = locateGather(r, "g2_1_0")!;
    expect(names(continuationOf(inDial.steps))).toEqual(["Say:after dial gather", "Say:end"]);
  });
});

describe("the state table", () => {
  const parts = (xml: string) =>
    gatherParts(
      root(`<Response>${xml}</Response>`).children.find(
        (c): c is ElementNode & { kind: "Gather" } => c.type === "element" && c.kind === "Gather",
      )! as never,
    );
  const full = parts(`<Gather attempts="3"><Say>p</Say><Switch><Case dtmf="1"/><Case dtmf="22"/><Default/><Error/></Switch></Gather>`);
  const branchValueOf = (b: { props: { value: string } }) => b.props.value;

  it("covers every row", ({ expect }) => {
    const d = (digits: string, attempt: number, p = full) => {
      const r = decideGather(p, digits, attempt, 3, branchValueOf);
      return `${r.input}/${r.action}${r.body ? `/${r.body.kind}` : ""}`;
    };
    expect(d("22", 1)).toBe("match/branch/Case");
    expect(d("22", 3)).toBe("match/branch/Case");
    expect(d("2", 1)).toBe("wrong/retry");
    expect(d("", 2)).toBe("none/retry");
    expect(d("2", 3)).toBe("wrong/default/Default");
    expect(d("", 3)).toBe("none/error/Error");
    const noDefault = parts(`<Gather><DTMF value="1"/><Error/></Gather>`);
    expect(d("5", 3, noDefault)).toBe("wrong/error/Error");
    const noError = parts(`<Gather><DTMF value="1"/><Default/></Gather>`);
    expect(d("", 3, noError)).toBe("none/default/Default");
    const neither = parts(`<Gather><DTMF value="1"/></Gather>`);
    expect(d("5", 3, neither)).toBe("wrong/continue");
    expect(d("", 3, neither)).toBe("none/continue");
    const takeAll = parts(`<Gather><Default/></Gather>`);
    expect(d("12345", 1, takeAll)).toBe("taken/default/Default");
    expect(d("", 1, takeAll)).toBe("none/retry");
  });

  it("never retries past the last attempt, and retries only without a match", ({ expect }) => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9*#]{0,4}$/),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (digits, attempts, at) => {
          const attempt = Math.min(at, attempts);
          const r = decideGather(full, digits, attempt, attempts, branchValueOf);
          if (r.action === "retry") expect(attempt).toBeLessThan(attempts);
          if (digits === "1" || digits === "22") expect(r.action).toBe("branch");
          else expect(r.action).not.toBe("branch");
        },
      ),
    );
  });

  it("reads digits as the caller meant them", ({ expect }) => {
    expect(normaliseDigits("1234#", "#")).toBe("1234");
    expect(normaliseDigits(" 12 34 ", "#")).toBe("1234");
    expect(normaliseDigits("*", "*")).toBe("");
    expect(normaliseDigits("1*", "#")).toBe("1*");
    expect(normaliseDigits(null, "#")).toBe("");
    expect(normaliseDigits("<xyz>9", "#")).toBe("9");
    // A–D are DTMF keys too (the fourth column).
    expect(normaliseDigits("1a", "#")).toBe("1A");
  });
});

describe("planning commands", () => {
  it("cuts at top-level Pauses, adds consecutive ones, and stops at Hangup", ({ expect }) => {
    const p = planCommands(`<Say>a</Say><Pause length="500"/><Pause/><Say>b</Say><Play>https://x/y.mp3</Play><Hangup/><Say>never</Say>`);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.deliveries.map((d) => [d.gapMs, d.xml])).toEqual([
      [0, "<Response><Say>a</Say></Response>"],
      [1500, "<Response><Say>b</Say><Play>https://x/y.mp3</Play><Hangup/></Response>"],
    ]);
    expect(p).toMatchObject({ hangup: true, dropped: ["Say"], totalGapMs: 1500 });
  });

  it("keeps a Pause the caller can end (dtmf_stop) as a command, and takes a whole <Response>", ({ expect }) => {
    const p = planCommands(`<?xml version="1.0"?><Response><Pause length="9000" dtmf_stop="#"/><Say>x</Say></Response>`);
    expect(p.ok && p.deliveries.map((d) => d.names)).toEqual([["Pause", "Say"]]);
  });

  it("reports problems at the sender's line and column", ({ expect }) => {
    const p = planCommands(`<Say>ok</Say>\n  <Bogus/>`);
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.diagnostics[0]).toMatchObject({ line: 2, col: 3, severity: "error" });
    expect(planCommands("").ok).toBe(false);
    expect(planCommands(`<Pause length="100"/>`).ok).toBe(false);
    expect(planCommands(`<Say>unclosed`).ok).toBe(false);
  });
});

describe("platform events", () => {
  it("read the 2024 envelope, the 2022 envelopes and the flat entity to one shape", ({ expect }) => {
    const e2024 = readPlatformEvent({
      uuid: "ev-1",
      created_on: "2024-02-19T16:06:00.210Z",
      type: "call_state",
      payload: { state: "live", duration: 3 },
      call: { uuid: "c1", from: "+1838", to: 18382049000, direction: "in" },
    });
    expect(e2024).toEqual({
      ok: true,
      event: {
        key: "ev-1",
        type: "call_state",
        callUuid: "c1",
        state: "live",
        at: "2024-02-19T16:06:00.210Z",
        call: { uuid: "c1", from: "+1838", to: "18382049000", direction: "in" },
        // The entity as sent, every field kept (the call object bounds what it keeps).
        entity: { uuid: "c1", from: "+1838", to: 18382049000, direction: "in" },
      },
    });
    const e2022 = readPlatformEvent({
      timestamp: "2022-07-04T16:44:53.554Z",
      type: "call_state",
      payload: { uuid: "c2", state: "ringing", sipcontrol_app: { uuid: "s" } },
    });
    expect(e2022.ok && e2022.event).toMatchObject({ callUuid: "c2", state: "ringing", call: { sip_control_app: { uuid: "s" } } });
    const flow = readPlatformEvent({
      timestamp: "2022-07-04T16:44:53.554Z",
      success: true,
      type: "call_flow",
      command: "Answer",
      payload: { command: { name: "Answer", success: true, reason: "Call answered", path: "Answer[0]" }, call: { uuid: "c3" } },
    });
    expect(flow.ok && flow.event.command).toEqual({ name: "Answer", success: true, reason: "Call answered", path: "Answer[0]" });
    const flat = readPlatformEvent({
      uuid: "c4",
      direction: "in",
      from: "1",
      to: "2",
      state: "destroyed",
      type: "CallSCA",
      q850_cause: 16,
      modified_on: "2024-01-01T00:00:00Z",
    });
    expect(flat.ok && flat.event).toMatchObject({ type: "call_state", callUuid: "c4", state: "destroyed", call: { q850_cause: 16 } });
    expect(readPlatformEvent({ type: "balance", payload: 3 }).ok).toBe(false);
    expect(readPlatformEvent([1, 2]).ok).toBe(false);
    expect(readQueryEvent(new URLSearchParams("state=live&call=c5")).ok).toBe(true);
    expect(readQueryEvent(new URLSearchParams("state=live")).ok).toBe(false);
  });

  it("give the same key to the same 2022 event delivered twice", ({ expect }) => {
    const ev = { timestamp: "2022-07-04T16:44:53.554Z", type: "call_state", payload: { uuid: "c2", state: "ringing" } };
    const a = readPlatformEvent(ev);
    const b = readPlatformEvent(structuredClone(ev));
    expect(a.ok && b.ok && a.event.key === b.event.key).toBe(true);
  });

  it("rank states so a call only moves forward", ({ expect }) => {
    expect(["init", "ringing", "live", "hangup", "destroyed"].map(stateRank)).toEqual([1, 2, 3, 4, 5]);
    expect(stateRank("something")).toBe(0);
  });
});
