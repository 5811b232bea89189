/**
 * The flow page in headless Chromium against `wrangler dev`: the IVR demo as editor and graph,
 * a typo's diagnostic at its line, the server refusing it, the fix published, versions compared
 * and rolled back, and graph clicks selecting the right lines.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, PHONE, signedIn } from "./chromium.ts";
import { screenshot } from "./screenshots.ts";
import { api, IVR, publishIvrCopy, server } from "./server.ts";

/** A number of the test's own, so the demo numbers stay as seeded. */
const TN = "18005550142";
let browser: Browser;

/** The 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split("\n");
  const i = lines.findIndex((l, n) => n >= after && l.includes(needle));
  if (i < 0) throw new Error(`no line contains ${needle}`);
  return i + 1;
}

/** The page's clock at the flow's last change, so "just now" reads the same in every run's screenshots. */
async function freezeClockAt(page: Page, tn: string): Promise<void> {
  const flow = (await (await api(`/v1/flows/${tn}`)).json()) as { updatedAt: string };
  await page.clock.setFixedTime(new Date(Date.parse(flow.updatedAt) + 5000));
}

const cursorLine = (page: Page) => page.locator(".statusbar .cursor-pos").textContent();

beforeAll(async () => {
  browser = await launchChromium();
  await publishIvrCopy(TN, "Browser test copy of the IVR demo");
});

afterAll(async () => {
  await api(`/v1/flows/${TN}`, { method: "DELETE" });
  await browser?.close();
});

describe("the flow page", () => {
  it("opens the IVR demo as editor and graph", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await freezeClockAt(page, "18005550100");
    await page.goto("/flows/18005550100");
    await page.locator(".cm-content").waitFor();
    expect(await page.locator(".cm-content").textContent()).toContain("For sales, press 1.");
    const graph = page.getByRole("tree", { name: /Flow graph/ });
    await graph.getByRole("treeitem", { name: /collects up to 1 digit/ }).waitFor();
    for (const branch of ["press 1", "press 2", "press 3", "other key", "no input"]) {
      expect(await graph.locator("g.node.shape-branch", { hasText: branch }).count(), branch).toBe(1);
    }
    expect(await page.locator(".statusbar .diag-count").textContent()).toContain("No problems");
    await page.mouse.move(0, 0);
    await screenshot(page, "console-flow.png");
    await context.close();
  });

  it("underlines a typo at its line with a did-you-mean, is refused by the server, then publishes the fix; diff and rollback", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await page.goto(`/flows/${TN}`);
    const content = page.locator(".cm-content");
    await content.waitFor();

    // Type a misspelt tag on a new line after the first Case's Say.
    const sayLine = lineOf(IVR, "Connecting you to sales.");
    await page
      .locator(".cm-line")
      .nth(sayLine - 1)
      .click();
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("<Gathr/>");
    await page.keyboard.press("Escape");
    const typoLine = sayLine + 1;
    const diag = page.locator(".cm-diag-line.cm-diag-error").first();
    await expect.poll(() => diag.textContent()).toContain(`${typoLine}:`);
    expect(await diag.textContent()).toContain("unknown tag <Gathr> (did you mean <Gather>?)");
    // It sits right under the line it is about.
    const lineBox = await page.locator(".cm-line", { hasText: "<Gathr/>" }).boundingBox();
    const diagBox = await diag.boundingBox();
    expect(diagBox!.y).toBeGreaterThanOrEqual(lineBox!.y + lineBox!.height - 1);
    expect(diagBox!.y).toBeLessThan(lineBox!.y + lineBox!.height + 30);
    // The graph marks the node in error.
    await expect.poll(() => page.locator("g.node.has-error", { hasText: "<Gathr>" }).count()).toBe(1);

    // Publishing is refused and the server's findings land in the editor.
    await page.getByRole("button", { name: "Publish" }).click();
    await expect.poll(() => page.locator(".flow-message").textContent()).toContain("The server refused the flow");
    await expect.poll(() => page.locator(".cm-diag-line", { hasText: "server" }).count()).toBeGreaterThan(0);
    expect(await page.locator(".cm-diag-line", { hasText: "server" }).first().textContent()).toContain(`${typoLine}:`);

    // Fix it: the misspelt tag becomes a Hangup.
    await page.locator(".cm-line", { hasText: "<Gathr/>" }).click();
    await page.keyboard.press("End");
    await page.keyboard.press("Shift+Home");
    await page.keyboard.type("<Hangup/>");
    await expect.poll(() => page.locator(".statusbar .diag-count").textContent()).toContain("No problems");
    expect(await page.locator(".cm-diag-line").count()).toBe(0);

    await page.getByRole("button", { name: "Publish" }).click();
    await expect.poll(() => page.locator(".flow-message").textContent()).toMatch(/Published version [0-9a-f]{12}/);
    const published = (await (await api(`/v1/flows/${TN}`)).json()) as { xml: string; version: string };
    expect(published.xml).toContain("<Hangup/>");
    expect(await page.locator(".flow-meta code").textContent()).toBe(published.version.slice(0, 12));

    // Versions: the new one and the seeded one; their diff shows the added line.
    await page.getByRole("tab", { name: "Versions" }).click();
    const rows = page.locator(".versions-table tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain("current");
    await page.getByRole("button", { name: "Compare A ↔ B" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.locator("table.diff").waitFor();
    const added = dialog.locator("tr:not(.diff-same) td.code.add");
    expect(await added.count()).toBe(1);
    expect(await added.first().textContent()).toContain("<Hangup/>");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // Roll back to the seeded version: the server serves it and the editor shows it.
    await rows
      .nth(1)
      .getByRole("button", { name: /Roll back/ })
      .click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll back" }).click();
    await expect.poll(() => page.locator(".flow-message").textContent()).toContain("Rolled back");
    const after = (await (await api(`/v1/flows/${TN}`)).json()) as { xml: string };
    expect(after.xml).toBe(IVR);
    // The editor holds the seeded text again: only the flow's own final Hangup is left.
    await expect.poll(() => page.locator(".cm-line", { hasText: "<Hangup/>" }).count()).toBe(1);
    await expect.poll(() => rows.count()).toBe(3);
    await context.close();
  });

  it("a graph click selects the node's lines, and the cursor marks its node", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await page.goto("/flows/18005550100");
    await page.locator(".cm-content").waitFor();
    const graph = page.getByRole("tree", { name: /Flow graph/ });

    const caseStart = lineOf(IVR, '<Case dtmf="2">');
    const caseEnd = lineOf(IVR, "</Case>", caseStart);
    await graph.locator("g.node.shape-branch", { hasText: "press 2" }).click();
    await expect.poll(() => cursorLine(page)).toBe(`Lines ${caseStart}–${caseEnd} selected`);

    const gatherStart = lineOf(IVR, "<Gather");
    const gatherEnd = lineOf(IVR, "</Gather>");
    await graph.getByRole("treeitem", { name: /collects up to 1 digit/ }).click();
    await expect.poll(() => cursorLine(page)).toBe(`Lines ${gatherStart}–${gatherEnd} selected`);

    // Moving the cursor into the closing Say marks its node.
    const goodbye = lineOf(IVR, "Goodbye.");
    await page
      .locator(".cm-line")
      .nth(goodbye - 1)
      .click();
    await expect.poll(() => graph.locator("g.node.active").textContent()).toContain("Goodbye.");
    await context.close();
  });

  it("on a phone the graph sits below the editor and nothing scrolls sideways", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken, PHONE);
    await freezeClockAt(page, "18005550100");
    await page.goto("/flows/18005550100");
    await page.locator(".cm-content").waitFor();
    await page.getByRole("tree", { name: /Flow graph/ }).waitFor();
    const editor = await page.locator(".editor-pane").boundingBox();
    const side = await page.locator(".side").boundingBox();
    expect(side!.y).toBeGreaterThanOrEqual(editor!.y + editor!.height);
    expect(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBe(0);
    await screenshot(page, "console-flow-phone.png");
    await context.close();
  });

  it("still edits and publishes when the editor chunk cannot load", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await page.route("**/assets/editor-*.js", (route) => route.abort());
    await page.goto(`/flows/${TN}`);
    const box = page.getByRole("textbox", { name: /Flow XML/ });
    await box.waitFor();
    expect(await page.locator(".statusbar").textContent()).toContain("The editor could not load");
    await box.fill(IVR.replace("Goodbye.", "Goodbye for now."));
    await page.getByRole("button", { name: "Publish" }).click();
    await expect.poll(() => page.locator(".flow-message").textContent()).toMatch(/Published version/);
    expect(((await (await api(`/v1/flows/${TN}`)).json()) as { xml: string }).xml).toContain("Goodbye for now.");
    await context.close();
  });

  it("deletes a number's flow after a confirmation", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await page.goto(`/flows/${TN}`);
    await page.getByRole("button", { name: "Delete…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect((await api(`/v1/flows/${TN}`)).status).toBe(200);

    await page.getByRole("button", { name: "Delete…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete flow" }).click();
    await page.getByRole("heading", { name: "Numbers" }).waitFor();
    expect((await api(`/v1/flows/${TN}`)).status).toBe(404);
    expect(await page.getByRole("link", { name: "+1 800 555 0142" }).count()).toBe(0);
    await context.close();
  });
});
