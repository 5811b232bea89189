/**
 * The console without a mouse, and a ~300-element flow: sign in, open a number and walk the
 * graph with the keyboard only; the large flow draws every node and stays navigable
 * (collapse, zoom).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { countElements, largeConsoleFlow } from "../../bench/lib/console-flow.ts";
import { DESKTOP, launchChromium, signedIn } from "./chromium.ts";

const server = inject("console");
const LARGE_TN = "18005550300";
let browser: Browser;

type Doc = { document: { activeElement: { matches(s: string): boolean; closest(s: string): unknown; textContent: string } | null } };
const active = (page: Page, selector: string) =>
  page.evaluate((s) => (globalThis as unknown as Doc).document.activeElement?.matches(s) ?? false, selector);
const inEditor = (page: Page) => page.evaluate(() => !!(globalThis as unknown as Doc).document.activeElement?.closest(".cm-editor"));

/**
 * Press Tab until the focused element matches `selector` (at most `max` presses). In the
 * editor, Tab indents; Escape first lets the next Tab leave it, as the status bar says.
 */
async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
  const trail: string[] = [];
  for (let i = 0; i < max; i++) {
    if (await inEditor(page)) await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    if (await active(page, selector)) return;
    trail.push(
      await page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { tagName: string; className: unknown; id: string } | null } })
          .document.activeElement;
        return el ? `${el.tagName}.${String(el.className)}#${el.id}` : "none";
      }),
    );
  }
  throw new Error(`Tab never reached ${selector}; focus went ${trail.join(" → ")}`);
}

const focusedText = (page: Page) => page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.textContent ?? "");

beforeAll(async () => {
  browser = await launchChromium();
  const res = await fetch(`${server.url}/v1/flows/${LARGE_TN}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ xml: largeConsoleFlow(), description: "Browser test: a 300-element menu" }),
  });
  expect(res.status).toBeLessThan(300);
});

afterAll(async () => {
  await fetch(`${server.url}/v1/flows/${LARGE_TN}`, { method: "DELETE", headers: { authorization: `Bearer ${server.adminToken}` } });
  await browser?.close();
});

describe("keyboard only", () => {
  it("signs in, opens a number and selects a graph node's lines without a mouse", async () => {
    const context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/");
    // The token field has focus on arrival.
    await page.getByLabel("API token").waitFor();
    await expect.poll(() => active(page, "#token")).toBe(true);
    await page.keyboard.type(server.adminToken);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Numbers" }).waitFor();

    await tabTo(page, 'a[href="/flows/18005550100"]');
    await page.keyboard.press("Enter");
    await page.locator(".cm-content").waitFor();
    await page
      .getByRole("tree", { name: /Flow graph/ })
      .locator("g.node")
      .first()
      .waitFor();

    // Into the graph: its one tab stop is the first node; arrows walk the nodes.
    await tabTo(page, "g.node");
    expect(await focusedText(page)).toContain("Call arrives");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusedText(page)).toContain("Thank you for calling");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(".statusbar .cursor-pos").textContent()).toBe("Line 4 selected");

    // Tabs switch with the arrow keys.
    await page.locator("#tab-graph").focus();
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => page.locator("#tab-settings").getAttribute("aria-selected")).toBe("true");
    await expect.poll(() => page.locator("#panel-settings").isVisible()).toBe(true);
    await context.close();
  });
});

describe("a 300-element flow", () => {
  it("draws every command, collapses and zooms", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken);
    await page.goto(`/flows/${LARGE_TN}`);
    const graph = page.getByRole("tree", { name: /Flow graph/ });
    await graph.locator("g.node").first().waitFor();
    expect(countElements(largeConsoleFlow())).toBeGreaterThanOrEqual(300);
    const all = await graph.locator("g.node").count();
    // Every Say, Gather, Dial and branch is a node (To and Switch are folded into their parents).
    expect(all).toBeGreaterThan(250);
    expect(await graph.getByRole("treeitem", { name: /bridges the call to sip:team94@/ }).count()).toBe(1);

    await page.getByRole("button", { name: "Collapse all" }).click();
    await expect.poll(() => graph.locator("g.node").count()).toBeLessThan(10);
    expect(await graph.locator("g.node", { hasText: "+" }).count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Expand all" }).click();
    await expect.poll(() => graph.locator("g.node").count()).toBe(all);

    const zoom = page.locator(".graph-tools .zoom");
    const before = await zoom.textContent();
    await page.getByRole("button", { name: "Zoom out" }).click();
    await expect.poll(() => zoom.textContent()).not.toBe(before);
    await context.close();
  });
});
