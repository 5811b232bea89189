/**
 * Live calls in headless Chromium: calls placed by `tactflow call` (the CLI, a separate process,
 * as a developer would in a terminal) appear in the console's live list as their events arrive
 * over `/v1/events`, survive a dropped connection without a lost or repeated event, and open on
 * a page with their timeline, their path on the pinned version's graph and — for a parked call
 * — a box whose command fragments reach the call through the commands API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ROOT } from "../e2e/harness.ts";
import { launchChromium, PHONE, signedIn } from "./chromium.ts";
import { screenshot } from "./screenshots.ts";

const server = inject("console");
/** The CLI's calls happen at this time on their own clock, so the pictures are the same in every run. */
const AT = "2026-11-23T15:00:00Z";
/** The parked demo flow's number. */
const PARKED = "18005550177";
let browser: Browser;
const children: ChildProcess[] = [];

/** `tactflow call …` against the test server; resolves with its output when it exits. */
function cliCall(args: string[]): { done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/tactflow.mjs"),
      "call",
      "--url",
      server.url,
      "--webhook-token",
      server.webhookToken,
      "--platform-url",
      server.platformApiUrl,
      ...args,
    ],
    // The Call Control API the CLI serves for parked calls takes the server's platform token.
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TACTFLOW_PLATFORM_API_TOKEN: server.platformApiToken } },
  );
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return { done: new Promise((resolve) => child.on("exit", (code) => resolve({ code, out }))) };
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return (await res.json()) as T;
}

async function openLive(page: Page): Promise<void> {
  await page.goto("/calls");
  await page.getByRole("status").getByText("Live", { exact: true }).waitFor();
}

const row = (page: Page, section: string, id: string) =>
  page.getByRole("region", { name: new RegExp(section) }).locator(`tr[data-call="${id}"]`);

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGINT");
  await browser?.close();
});

describe("live calls", () => {
  it("a key limited to some numbers: the all-numbers list says why it can't follow them and stops retrying; a number's own list is live", async () => {
    const res = await fetch(`${server.url}/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "limited console", grants: ["flows:read@1800555*", "events:read@1800555*"] }),
    });
    expect(res.status).toBe(201);
    const { secret } = (await res.json()) as { secret: string };
    const { context, page } = await signedIn(browser, server.url, secret);
    await page.goto("/calls");
    await page
      .getByRole("status")
      .getByText(/does not hold the scope events:read for every number/)
      .waitFor();
    await page.getByText("A key limited to some numbers can follow each of them on its own page").waitFor();
    // Refused for good: no reconnects follow (they came every 0.25–10 s before).
    const connections = () =>
      page.evaluate(() => (globalThis as unknown as { tactflowLive: { connections: number } }).tactflowLive.connections);
    const before = await connections();
    await page.waitForTimeout(1500);
    expect(await connections()).toBe(before);
    await page.goto("/numbers/18005550100/calls");
    await page.getByRole("status").getByText("Live", { exact: true }).waitFor();
    await context.close();
  });

  it("a call from the CLI appears in the list, moves through the flow, and ends with its cause; a dropped stream resumes without a gap or a repeat", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await openLive(page);
    const id = "cli-ivr-1";
    const cli = cliCall(["--to", "18005550100", "--from", "+12125550123", "--digits", "1", "--talk", "8s", "--call-id", id, "--at", AT]);
    await row(page, "In progress|Ended recently", id).waitFor();
    // The connection drops while the call is under way; the page reconnects with `since`.
    await page.evaluate(() => (globalThis as unknown as { tactflowLive: { drop(): void } }).tactflowLive.drop());
    const { code } = await cli.done;
    expect(code).toBe(0);
    const ended = row(page, "Ended recently", id);
    await expect.poll(() => ended.locator("td.node").textContent()).toBe("NORMAL_CLEARING");
    expect(await ended.locator("td").first().textContent()).toBe("+1 800 555 0100");
    expect(await ended.locator("td").nth(1).textContent()).toBe("+12125550123");
    // Every event of the call was applied exactly once: as many as the call's own log holds.
    const snap = await api<{ events: unknown[] }>(`/v1/calls/${id}`);
    await expect.poll(() => ended.getAttribute("data-events")).toBe(String(snap.events.length));

    // Its page: the timeline from the log, the version it is pinned to, and the way it went.
    await ended.getByRole("link").click();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    const timeline = page.locator(".timeline");
    await timeline.getByText(/Gather g1: digits "1" \(match, attempt 1 of 3\) → branch Case=1/).waitFor();
    expect(await timeline.textContent()).toContain("Dial[1]: Bridged to sip:sales@acme.sip.opentact.org");
    expect(await timeline.textContent()).toMatch(/hangup — NORMAL_CLEARING \(16\)/);
    const graph = page.locator(".call-graph").getByRole("tree", { name: /Flow graph/ });
    await expect.poll(() => graph.locator("g.node.shape-branch.visited").allTextContents()).toEqual(["press 1", "ok"]);
    expect(await graph.locator("g.node.visited").allTextContents()).toContain("Dial {{vars.sales}}");
    await page.mouse.move(0, 0);
    // Events stamped by the server carry today's time: hidden in the picture.
    await screenshot(page, "console-call.png", ".timeline time { visibility: hidden; }");
    await context.close();

    // On a phone both pages are one column and nothing scrolls sideways (long SIP addresses wrap).
    const phone = await signedIn(browser, server.url, server.adminToken, PHONE);
    for (const path of ["/calls", `/calls/${id}`]) {
      await phone.page.goto(path);
      await phone.page
        .locator(path === "/calls" ? `tr[data-call="${id}"]` : ".call-graph g.node.visited")
        .first()
        .waitFor();
      expect(await phone.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    }
    await phone.context.close();
  });

  it("a parked call's page takes a command fragment: a bad one is refused with its diagnostics, a good one reaches the call", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    // Durations on screen are the page's clock less the call's: both fixed.
    await page.clock.setFixedTime(new Date(Date.parse(AT) + 20_000));
    await openLive(page);
    // A first call nobody sends commands to: the platform gives up after a second on hold.
    const first = await cliCall(["--to", PARKED, "--from", "+12125550188", "--call-id", "cli-parked-0", "--park-wait", "1s", "--at", AT])
      .done;
    expect(first.code).toBe(0);
    await expect.poll(() => row(page, "Ended recently", "cli-parked-0").locator("td.node").textContent()).toBe("RECOVERY_ON_TIMER_EXPIRE");

    const id = "cli-parked-1";
    const cli = cliCall(["--to", PARKED, "--from", "+12125550123", "--call-id", id, "--park-wait", "50s", "--at", AT]);
    const up = row(page, "In progress", id);
    await expect.poll(() => up.locator("td.node").textContent(), { timeout: 20_000 }).toMatch(/Hold/);
    expect(await up.locator(".state-pill").textContent()).toBe("live");
    // The number's own page (the picture has no other test's calls): the same rows.
    await page.goto(`/numbers/${PARKED}/calls`);
    await row(page, "In progress", id).waitFor();
    await row(page, "Last 50 calls", "cli-parked-0").waitFor();
    await page.mouse.move(0, 0);
    await screenshot(page, "console-live.png");

    await up.getByRole("link").click();
    const box = page.getByLabel("Send the parked call a command fragment");
    await box.waitFor();
    expect(await page.locator(".call-facts").textContent()).toMatch(/Parked\s*commands due by/);
    await box.fill("<Say>One moment.</Say><Hangp/>");
    await page.getByRole("button", { name: "Send" }).click();
    const refusal = page.locator(".command-box [role=alert]");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/Hangp/);

    await box.fill("<Say>Thanks for waiting. Goodbye.</Say><Hangup/>");
    await page.getByRole("button", { name: "Send" }).click();
    // Polled on the whole box, so a failure shows what the page said instead (a CI run once timed out here).
    await expect.poll(() => page.locator(".command-box").textContent(), { timeout: 30_000 }).toMatch(/Accepted/);
    // The delivery and the end arrive on the call's own stream, without a reload.
    const timeline = page.locator(".timeline");
    await timeline.getByText(/Commands\[1\]\.Hangup\[\d\]/).waitFor({ timeout: 20_000 });
    await timeline.getByText(/^hangup/).waitFor({ timeout: 20_000 });
    const { code } = await cli.done;
    expect(code).toBe(0);
    await context.close();
  });
});
