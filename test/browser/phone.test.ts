/**
 * The phone on the flow page in headless Chromium: the IVR demo called through the real
 * webhook and the call's object (the browser playing the platform with a phone token), 1
 * pressed on the keyboard, the transcript and the graph and editor following the call; and an
 * unpublished draft called in the browser. Headless Chromium has no voices, so the prompts are
 * shown rather than spoken, for as long as the simulator says they take.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../e2e/harness.ts";
import { launchChromium, signedIn } from "./chromium.ts";
import { screenshot } from "./screenshots.ts";
import { api, IVR, publishIvrCopy, server } from "./server.ts";

/** A number of this file's own (the insights test counts the calls to 18005550143). */
const TN = "18005550144";
let browser: Browser;

const transcript = (page: Page) => page.locator(".transcript");

/** Open the phone with fast-forward on (the Dial's 24 s of ringing and talk pass at once). */
async function openPhone(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.locator(".cm-content").waitFor();
  await page.getByRole("tab", { name: "Phone" }).click();
  await page.getByRole("button", { name: "Call", exact: true }).waitFor();
  await page.getByLabel("Fast-forward").check();
}

beforeAll(async () => {
  browser = await launchChromium();
  await publishIvrCopy(TN);
});

afterAll(async () => {
  await api(`/v1/flows/${TN}`, { method: "DELETE" });
  await browser?.close();
});

describe("the phone", () => {
  it("calls the IVR demo through the server, takes 1 from the keyboard, and follows the call in the transcript, the graph and the editor", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await openPhone(page, "/flows/18005550100");
    expect(await page.getByLabel(/\(published\)/).isChecked()).toBe(true);
    await page.getByRole("button", { name: "Call", exact: true }).click();

    await transcript(page)
      .getByText(/SAY "For sales, press 1/)
      .waitFor();
    expect(await transcript(page).textContent()).toContain('SAY "Thank you for calling Acme Widgets."');
    // The menu is on the display (no voice here: shown, not spoken) and its node is current.
    await expect.poll(() => page.locator(".display-now").textContent()).toContain("For sales, press 1");
    const graph = page.locator(".phone-graph").getByRole("tree", { name: /Flow graph/ });
    await expect.poll(() => graph.locator("g.node.current").textContent()).toContain("For sales, press 1");
    await expect.poll(() => page.locator(".cm-line.cm-marked").first().textContent()).toContain("For sales, press 1");

    // 1 on the keyboard cuts the menu short and goes to sales.
    await page.keyboard.press("1");
    await transcript(page).getByText('SAY "Connecting you to sales."').waitFor();
    expect(await transcript(page).textContent()).toMatch(/DTMF 1/);
    await expect.poll(() => graph.locator("g.node.current").textContent()).toContain("Connecting you to sal");
    expect(await graph.locator("g.node.shape-branch.visited").allTextContents()).toEqual(["press 1"]);
    await expect.poll(() => page.locator(".cm-line.cm-marked").first().textContent()).toContain("Connecting you to sales.");

    await transcript(page)
      .getByText(/Call ended: the flow hung up/)
      .waitFor();
    const said = await transcript(page).textContent();
    expect(said).toMatch(/DIAL sip:sales@acme\.sip\.opentact\.org \(answer\) → bridged/);
    expect(said).toContain('SAY "Goodbye."');

    // The server ran the call: its object decided the Gather and logged the platform's events.
    const callId = /\/v1\/calls\/([^/]+)\/gather/.exec(
      (await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name))).find((n) => n.includes("/gather?")) ?? "",
    )?.[1];
    expect(callId).toBeTruthy();
    const snap = (await (await api(`/v1/calls/${callId}`)).json()) as { state: string; gather: { digits: Record<string, string> } };
    expect(snap.gather.digits["g1"]).toBe("1");
    expect(snap.state).toBe("destroyed");
    await context.close();
  });

  it("calls an unpublished draft in the browser: the edit is heard, silence replays the menu", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    // "published … ago" the same in every run (Date only: the phone's clock is performance.now()).
    const flow = (await (await api(`/v1/flows/${TN}`)).json()) as { updatedAt: string };
    await page.clock.setFixedTime(new Date(Date.parse(flow.updatedAt) + 5000));
    await openPhone(page, `/flows/${TN}`);
    // Edit the menu's wording; nothing is published.
    await page.locator(".cm-line", { hasText: "For sales, press 1." }).click();
    await page.keyboard.press("Home");
    // insertText: typing key by key would have the editor close the tag itself.
    await page.keyboard.insertText("<Say>Welcome to the new menu.</Say>");
    await expect.poll(() => page.locator(".draft-state").textContent()).toBe("Unpublished changes");
    await page.getByLabel("This draft").check();
    await page.getByRole("button", { name: "Call", exact: true }).click();

    await transcript(page).getByText('SAY "Welcome to the new menu."').waitFor();
    await page.getByRole("button", { name: "Stay silent" }).click();
    await transcript(page)
      .getByText(/TIMEOUT no input within 8\.0s/)
      .waitFor();
    // Silence with attempts left: tactflow (here, its code in the browser) asks again, attempt 2.
    await transcript(page)
      .getByText(/GATHER .*tactflow decides \(g1, attempt 2\)/)
      .waitFor();
    // The menu plays again for 5 s: everything on screen is the same in every run (the call's clock is virtual).
    await transcript(page)
      .getByText(/SAY "For sales, press 1/)
      .nth(1)
      .waitFor();
    await page.locator(".cm-line.cm-marked", { hasText: "For sales, press 1." }).waitFor();
    await page.mouse.move(0, 0);
    await screenshot(page, "console-phone.png");
    await page.locator(".keypad").getByRole("button", { name: "3" }).click();
    await transcript(page)
      .getByText(/SAY "We are open Monday to Friday/)
      .waitFor();
    await page.locator(".handset").getByRole("button", { name: "Hang up" }).click();
    await transcript(page)
      .getByText(/Call ended: the caller hung up/)
      .waitFor();
    // Nothing reached the server: the number still serves the published version.
    expect(((await (await api(`/v1/flows/${TN}`)).json()) as { xml: string }).xml).toBe(IVR);
    await context.close();
  });

  it("saves a call as a test: tactflow test replays it and passes", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await openPhone(page, `/flows/${TN}`);
    await page.getByRole("button", { name: "Call", exact: true }).click();
    await transcript(page)
      .getByText(/SAY "For sales, press 1/)
      .waitFor();
    await page.locator(".keypad").getByRole("button", { name: "2" }).click();
    await transcript(page)
      .getByText(/Call ended: the flow hung up/)
      .waitFor();

    await page.getByText("Save as test").click();
    await page.getByLabel("Scenario name").fill("support answers");
    const dir = mkdtempSync(join(tmpdir(), "tactflow-saved-"));
    try {
      const yamlDownload = page.waitForEvent("download");
      await page.getByRole("link", { name: `Download ${TN}.test.yaml` }).click();
      await (await yamlDownload).saveAs(join(dir, `${TN}.test.yaml`));
      const xmlDownload = page.waitForEvent("download");
      await page.getByRole("link", { name: `Download the flow (${TN}.xml)` }).click();
      await (await xmlDownload).saveAs(join(dir, `${TN}.xml`));
      const saved = readFileSync(join(dir, `${TN}.test.yaml`), "utf8");
      expect(saved).toContain("name: support answers");
      expect(saved).toContain("say: Connecting you to support.");

      const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "bin/tactflow.mjs"), "test", dir], { cwd: ROOT });
      expect(stdout).toMatch(/✓ support answers/);
      expect(stdout).toMatch(/1 scenario(s)?: 1 passed, 0 failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await context.close();
  });
});
