import { describe, expect, it } from "vitest";
import { runCall, webhookToken, type CallDeps, type CallOptions } from "../../cli/call.ts";
import { fakeTactflow, type Route } from "./sim-fixtures.ts";

const MENU = `<Response><Gather attempts="2"><Say>Press 1 for sales</Say><DTMF value="1"><Say>Sales</Say></DTMF><Error><Say>Bye</Say></Error></Gather><Hangup/></Response>`;

/** Run `tactflow call` against an in-memory tactflow; files are a path → text map. */
async function cli(
  opts: CallOptions,
  routes: Record<string, Route> = { "/v1/callflow": MENU },
  files: Record<string, string> = {},
  env: Record<string, string> = {},
) {
  const server = fakeTactflow(routes);
  const out: string[] = [];
  const err: string[] = [];
  const deps: CallDeps = {
    fetch: server.fetch,
    env,
    cwd: "/project",
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return text;
    },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  };
  const code = await runCall({ url: "http://tactflow.test", ...opts }, deps);
  return { code, out: out.join("\n"), err: err.join("\n"), server };
}

describe("tactflow call", () => {
  it("prints the transcript of the call and exits 0", async () => {
    const { code, out, err } = await cli({ to: "18005550100", from: "15551230000", digits: "1", at: "2026-11-23T15:00:00Z" });
    expect(code).toBe(0);
    // --at far from now earns one note: the server's own <Schedule> evaluation uses its clock.
    expect(err.trim().split("\n")).toEqual([expect.stringContaining("note: --at moves the simulator's clock")]);
    expect(out).toMatch(/^\d\d:\d\d\.\d SAY "Press 1 for sales" \(voice en-US FEMALE\)$/m);
    expect(out).toMatch(/^\d\d:\d\d\.\d DTMF 1$/m);
    expect(out).toMatch(/^Call ended at \d\d:\d\d\.\d: the flow hung up\. Events: \d+ posted\.$/m);
  });

  it("treats an empty --digits entry as silence and --silence as no keys at all", async () => {
    const retry = await cli({ to: "1", from: "2", digits: ",1" });
    expect(retry.out).toContain("attempt 2 of 2");
    expect(retry.out).toContain('SAY "Sales"');
    const quiet = await cli({ to: "1", from: "2", silence: true });
    expect(quiet.out).toContain('SAY "Bye"');
    expect(quiet.out).not.toContain("DTMF");
  });

  it("prints the trace as JSON with --json", async () => {
    const { out } = await cli({ to: "18005550100", from: "15551230000", digits: "1", json: true, callId: "abc" });
    const parsed = JSON.parse(out) as { call: { uuid: string }; end: { cause: string }; trace: Array<{ kind: string }> };
    expect(parsed.call.uuid).toBe("abc");
    expect(parsed.end.cause).toBe("flow-hangup");
    expect(parsed.trace.map((e) => e.kind)).toContain("DTMF");
  });

  it("reads a script, with flags taking precedence", async () => {
    const script = "to 18005550100\nfrom 15550001111\nsilence\npress 1\n";
    const { out, server } = await cli({ script: "call.txt", from: "15551230000" }, undefined, { "call.txt": script });
    expect(server.requests[0]!.url.searchParams.get("from")).toBe("15551230000");
    expect(out).toContain('SAY "Sales"');
  });

  it("exits 1 and says why when the server answers something that is not a call flow", async () => {
    const { code, err } = await cli(
      { to: "1", from: "2" },
      { "/v1/callflow": () => Response.json({ title: "Not Found" }, { status: 200 }) },
    );
    expect(code).toBe(1);
    expect(err).toMatch(/no call flow from http:\/\/tactflow\.test: the answer is not a call-flow document \(application\/json/);
  });

  it("points at the token when the webhook refuses it", async () => {
    const { code, err } = await cli({ to: "1", from: "2" }, { "/v1/callflow": () => new Response("{}", { status: 401 }) });
    expect(code).toBe(1);
    expect(err).toMatch(/HTTP 401.*--webhook-token/);
  });

  it("exits 3 (could not reach the server, as every command) and suggests npm start when nothing listens", async () => {
    const server = fakeTactflow({});
    const err: string[] = [];
    const code = await runCall(
      { to: "1", from: "2", url: "http://127.0.0.1:9" },
      {
        fetch: async () => {
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
          });
        },
        env: {},
        cwd: "/",
        readFile: () => {
          throw new Error("none");
        },
        out: () => undefined,
        err: (t) => err.push(t),
      },
    );
    expect(server.requests).toEqual([]);
    expect(code).toBe(3);
    expect(err.join("")).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9: ECONNREFUSED.*npm start/);
  });

  it.each([
    [{ from: "2" }, /--to TN/],
    [{ to: "1" }, /--from NUMBER/],
    [{ to: "1", from: "2", digits: "1", silence: true }, /contradict/],
    [{ to: "1", from: "2", digits: "x" }, /--digits: digit entry 1/],
    [{ to: "1", from: "2", at: "tomorrow" }, /--at "tomorrow" is not a date/],
    [{ to: "1", from: "2", dialOutcome: ["sometimes"] }, /outcome must be one of answer, busy, no-answer/],
    [{ to: "1", from: "2", method: "PUT" }, /--method must be GET or POST/],
    [{ to: "1", from: "2", script: "missing.txt" }, /cannot read the script missing\.txt/],
  ] as Array<[CallOptions, RegExp]>)("exits 2 on a usage error: %j", async (opts, message) => {
    const { code, err, server } = await cli(opts);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(server.requests).toEqual([]);
  });

  it("names the script line that is wrong", async () => {
    const { code, err } = await cli({ script: "bad.txt" }, undefined, { "bad.txt": "to 1\nfrom 2\npress maybe\n" });
    expect(code).toBe(2);
    expect(err).toMatch(/line 3: "maybe" has keys a phone cannot send.*\(in bad\.txt\)/);
  });

  it("sets per-destination Dial outcomes", async () => {
    const xml = `<Response><Dial><To>sip:a@x</To><To>sip:b@x</To><Error><Say>Nobody</Say></Error></Dial></Response>`;
    const { out } = await cli({ to: "1", from: "2", dialOutcome: ["busy", "sip:b@x=no-answer"] }, { "/v1/callflow": xml });
    expect(out).toContain("DIAL sip:a@x (busy), sip:b@x (no-answer) → failed");
  });

  it("does not post events with --no-events", async () => {
    const { server, out } = await cli({ to: "1", from: "2", events: false });
    expect(server.events).toEqual([]);
    expect(out).toContain("Events were not sent.");
  });
});

describe("the webhook token", () => {
  const files = (text: string) => (path: string) => {
    if (path === "/p/.dev.vars") return text;
    throw new Error("ENOENT");
  };
  it("comes from the flag, else the environment, else .dev.vars", () => {
    const devVars = files('ADMIN_TOKEN=a\n# comment\nWEBHOOK_TOKEN="from-file"\n');
    expect(webhookToken({ webhookToken: "flag" }, { env: { TACTFLOW_WEBHOOK_TOKEN: "env" }, cwd: "/p", readFile: devVars })).toBe("flag");
    expect(webhookToken({}, { env: { TACTFLOW_WEBHOOK_TOKEN: "env" }, cwd: "/p", readFile: devVars })).toBe("env");
    expect(webhookToken({}, { env: {}, cwd: "/p", readFile: devVars })).toBe("from-file");
    expect(webhookToken({}, { env: {}, cwd: "/elsewhere", readFile: devVars })).toBeUndefined();
  });

  it("is sent to the webhook and the events endpoint", async () => {
    const seen: string[] = [];
    const server = fakeTactflow({ "/v1/callflow": MENU });
    await runCall(
      { to: "1", from: "2", url: "http://tactflow.test", silence: true },
      {
        fetch: (input, init) => {
          seen.push(input);
          return server.fetch(input, init);
        },
        env: {},
        cwd: "/p",
        readFile: files("WEBHOOK_TOKEN=s3cret\n"),
        out: () => undefined,
        err: () => undefined,
      },
    );
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((u) => new URL(u).searchParams.get("token") === "s3cret")).toBe(true);
  });
});
