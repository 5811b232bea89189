/**
 * `tactflow validate` as a user runs it: the real bin/tactflow.mjs in a child process (with this
 * test's Node, the project's Node 24), checking its output lines, its JSON and its exit status.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "./helpers/examples.ts";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const bin = join(projectRoot, "bin", "tactflow.mjs");

function tactflow(args: string[], stdin = ""): Promise<Run> {
  // Plain output whatever the caller's terminal settings.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let dir = "";
const files = {
  "good.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hello</Say>\n  <Hangup/>\n</Response>\n',
  "bad.xml": [
    "<Response>",
    '  <Say gender="X">Hi</Say>',
    '  <Gather attempts="0"><Say>Press</Say></Gather>',
    "  <Sya>typo</Sya>",
    "</Response>",
    "",
  ].join("\n"),
  "warn.xml": ["<Response>", "  <Curl/>", "</Response>", ""].join("\n"),
  "broken.xml": ["<Response>", "  <Say>Hi", "</Response>", ""].join("\n"),
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tactflow-validate-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
});

describe.concurrent("tactflow validate", () => {
  it("a clean file: exit 0, a summary line and nothing else", async () => {
    const run = await tactflow(["validate", "good.xml"]);
    expect(run).toEqual({ code: 0, stdout: "1 file checked: no problems\n", stderr: "" });
  });

  it("findings: one file:line:col: severity: message line each, then the summary; exit 1", async () => {
    const run = await tactflow(["validate", "bad.xml", "good.xml"]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('bad.xml:2:8: error: <Say gender="X">: expected one of MALE, FEMALE');
    expect(lines[1]).toMatch(/^bad\.xml:3:11: warning: <Gather attempts="0">: expected a whole number ≥ 1/);
    expect(lines[2]).toMatch(/^bad\.xml:4:3: error: unknown tag <Sya> \(did you mean <Say>\?\)/);
    expect(lines[3]).toBe("2 files checked: 2 errors, 1 warning");
    expect(run.stderr).toBe("");
  });

  it("warnings alone exit 0", async () => {
    const run = await tactflow(["validate", "warn.xml"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^warn\.xml:2:3: warning: <Curl> is named by the Opentact docs but not specified/);
    expect(run.stdout).toContain("1 file checked: 0 errors, 1 warning\n");
  });

  it("a document that is not well-formed is an error at its line:col", async () => {
    const run = await tactflow(["validate", "broken.xml"]);
    expect(run.code).toBe(1);
    expect(run.stdout.split("\n")[0]).toMatch(/^broken\.xml:3:1: error: not well-formed XML: .*Say/);
  });

  it("--quiet reports errors only", async () => {
    const run = await tactflow(["validate", "--quiet", "bad.xml", "warn.xml"]);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain("warning");
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^bad\.xml:2:8: error/),
      expect.stringMatching(/^bad\.xml:4:3: error/),
      "2 files checked: 2 errors",
    ]);
  });

  it("`-` reads stdin, named by --stdin-name", async () => {
    const run = await tactflow(["validate", "--stdin-name", "piped.xml", "-"], '<Response>\n<Pause length="soon"/>\n</Response>');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'piped.xml:2:8: error: <Pause length="soon">: expected a whole number of milliseconds from 0 to 86400000 (a day), e.g. 5000\n1 file checked: 1 error, 0 warnings\n',
    );
  });

  it("--json prints every file's findings and the summary", async () => {
    const run = await tactflow(["validate", "--json", "bad.xml", "good.xml"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.summary).toEqual({ files: 2, errors: 2, warnings: 1, unreadable: 0 });
    expect(report.files.map((f: { file: string; ok: boolean }) => [f.file, f.ok])).toEqual([
      ["bad.xml", false],
      ["good.xml", true],
    ]);
    expect(report.files[0].diagnostics[0]).toEqual({
      severity: "error",
      code: "bad-attribute",
      message: '<Say gender="X">: expected one of MALE, FEMALE',
      line: 2,
      col: 8,
      tag: "Say",
      attribute: "gender",
    });
    expect(report.files[1].diagnostics).toEqual([]);
  });

  it("a missing file: a message on stderr, the other files still checked, exit 2", async () => {
    const run = await tactflow(["validate", "missing.xml", "bad.xml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("tactflow validate: cannot read missing.xml: no such file\n");
    expect(run.stdout).toContain('bad.xml:2:8: error: <Say gender="X">');
    expect(run.stdout).toContain("2 files checked: 2 errors, 1 warning, 1 unreadable\n");
  });

  it("--json with a missing file records the read error and exits 2", async () => {
    const run = await tactflow(["validate", "--json", "missing.xml"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).files).toEqual([{ file: "missing.xml", readError: "no such file" }]);
  });

  it("usage errors exit 2: no files, an unknown option", async () => {
    const none = await tactflow(["validate"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'files'");
    const unknown = await tactflow(["validate", "--frobnicate", "good.xml"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
  });
});
