/**
 * `tactflow test` as a user runs it: the demo flows pass with full coverage, a broken branch
 * fails with exit 1 and a readable diff, usage mistakes exit 2, and the report formats CI reads.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, it } from "vitest";
import { runTests, type TestOptions } from "../../cli/test.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dirs: string[] = [];

function demoCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "tactflow-test-"));
  dirs.push(dir);
  cpSync(join(ROOT, "flows/demo"), join(dir, "demo"), { recursive: true });
  return dir;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function cli(paths: string[], opts: TestOptions, cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTests(paths, { color: false, ...opts }, { cwd, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("tactflow test", () => {
  it("passes the demo flows with 100 % branch coverage (exit 0)", async ({ expect }) => {
    const r = await cli(["flows/demo"], {}, ROOT);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/scenarios: (\d+) passed, 0 failed; branch coverage 100 %/);
    expect(r.out).toContain("flows/demo/ivr-menu.xml (18005550100): 10/10 branches, 100 %");
  });

  it("fails a broken branch with exit 1 and shows expected against heard", async ({ expect }) => {
    const dir = demoCopy();
    const flow = join(dir, "demo/ivr-menu.xml");
    writeFileSync(flow, readFileSync(flow, "utf8").replace("Connecting you to sales.", "Connecting you to the sales team."));
    const r = await cli(["demo"], { quiet: true }, dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ sales answers (demo/ivr-menu.test.yaml:");
    expect(r.out).toContain('- SAY "Connecting you to sales."');
    expect(r.out).toMatch(/\+ \d\d:\d\d\.\d SAY "Connecting you to the sales team\." \(voice en-US FEMALE\)\s+← nearest/);
    expect(r.out).not.toContain("✓");
  });

  it("records golden transcripts with --update and fails when one changes", async ({ expect }) => {
    const dir = demoCopy();
    const first = await cli(["demo/after-hours.test.yaml"], { update: true }, dir);
    expect(first.code).toBe(0);
    expect(first.err).toContain("recorded 4 transcripts in demo/after-hours.golden.txt");
    const golden = readFileSync(join(dir, "demo/after-hours.golden.txt"), "utf8");
    expect(golden).toContain("=== closed in the evening\nCall test-closed-in-the-evening from +12125550123 to 18005550199");
    expect((await cli(["demo/after-hours.test.yaml"], {}, dir)).code).toBe(0);
    const flow = join(dir, "demo/after-hours.xml");
    writeFileSync(flow, readFileSync(flow, "utf8").replace("Please call again then.", "Please call back then."));
    const changed = await cli(["demo/after-hours.test.yaml"], {}, dir);
    expect(changed.code).toBe(1);
    expect(changed.out).toContain("transcript: the transcript differs from the recorded one");
  });

  it("writes JUnit XML and JSON for CI, and enforces --coverage-min", async ({ expect }) => {
    const dir = demoCopy();
    const junit = join(dir, "report.xml");
    const r = await cli(["demo/ivr-menu.test.yaml"], { junit, json: true, grep: "sales", coverageMin: "90" }, dir);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { ok: boolean; passed: number; coverage: number };
    expect(json).toMatchObject({ ok: false, passed: 2, failed: 0 });
    expect(json.coverage).toBeLessThan(90);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('<testsuite name="demo/ivr-menu.xml" tests="2" failures="0"');
    expect(xml).toContain('<testcase classname="demo/ivr-menu.xml" name="sales answers"');
  });

  it("exits 2 on usage mistakes and unreadable scenario files", async ({ expect }) => {
    const dir = demoCopy();
    expect((await cli(["nowhere"], {}, dir)).err).toContain("nowhere: no such file or folder");
    writeFileSync(join(dir, "demo/bad.test.yaml"), "scenarios:\n  - name: x\n    press: [12x]\n");
    const bad = await cli(["demo"], {}, dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("demo/bad.test.yaml: scenarios.0 at press.0");
    expect((await cli(["demo"], { coverageMin: "150" }, dir)).code).toBe(2);
  });

  it("refuses a flow file that is not UTF-8 at the bad byte's line:col, as publishing does (exit 2)", async ({ expect }) => {
    const dir = demoCopy();
    const flow = join(dir, "demo/ivr-menu.xml");
    const text = readFileSync(flow, "utf8");
    const at = text.indexOf("Connecting you to sales.");
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    const col = at - before.lastIndexOf("\n");
    writeFileSync(flow, Buffer.concat([Buffer.from(before, "utf8"), Buffer.from([0xff]), Buffer.from(text.slice(at), "utf8")]));
    const r = await cli(["demo"], { quiet: true }, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`ivr-menu.xml:${line}:${col}`);
    expect(r.err).toMatch(/UTF-8/);
  });
});
