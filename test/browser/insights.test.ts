/**
 * Insights in the console, in headless Chromium against `wrangler dev`: simulated calls to a
 * number of the test's own, then its flow page shows the share of calls on the graph's nodes and
 * how many hung up where, and the Insights tab has the calls, how they ended, the chart per hour
 * and the places callers hung up, each leading to its lines in the editor.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeCall, type Scenario } from "../../sim/index.ts";
import { launchChromium, signedIn } from "./chromium.ts";
import { screenshot } from "./screenshots.ts";
import { api, publishIvrCopy, server } from "./server.ts";

const TN = "18005550143";
let browser: Browser;

// Twenty callers: ten press 1 for sales (two find it busy), five ask for the hours (3), four hang
// up while the menu waits for keys, one during the welcome.
const CALLERS: Array<Omit<Scenario, "from" | "to">> = [
  ...Array.from({ length: 8 }, () => ({ inputs: [{ digits: "1" }], talkMs: 2_000 })),
  ...Array.from({ length: 2 }, () => ({ inputs: [{ digits: "1" }], dial: { "*": "busy" as const } })),
  ...Array.from({ length: 5 }, () => ({ inputs: [{ digits: "3" }] })),
  ...Array.from({ length: 4 }, () => ({ inputs: [], hangupAfterMs: 9_000 })),
  { hangupAfterMs: 1_000 },
];

beforeAll(async () => {
  browser = await launchChromium();
  await publishIvrCopy(TN, "Browser test copy of the IVR demo, for insights");
  await Promise.all(
    CALLERS.map((c, i) =>
      placeCall({ ...c, from: `+1201555${String(7000 + i)}`, to: TN }, { baseUrl: server.url, webhookToken: server.webhookToken }),
    ),
  );
  // Each call is counted once its object reports it (at once on `destroyed`) and the webhook's notes arrive.
  let paths = 0;
  for (let i = 0; i < 150 && paths < CALLERS.length; i++) {
    if (i) await new Promise((r) => setTimeout(r, 200));
    paths = ((await (await api(`/v1/flows/${TN}/insights`)).json()) as { paths: number }).paths;
  }
  expect(paths).toBe(CALLERS.length);
});

afterAll(async () => {
  await api(`/v1/flows/${TN}`, { method: "DELETE" });
  await browser?.close();
});

describe("insights in the console", () => {
  it("draws the share of calls on the graph, and the Insights tab says where callers went and hung up", async () => {
    const { context, page } = await signedIn(browser, server.url, server.adminToken, { width: 1440, height: 900 });
    await page.goto(`/flows/${TN}`);
    const graph = page.getByRole("tree", { name: /Flow graph/ });
    const badge = (id: string) => graph.locator(`g.node[data-id="${id}"] .badge`);
    await badge("start").waitFor();
    expect(await badge("start").textContent()).toBe("20 calls");
    // The welcome: everyone, one hung up. The menu waiting for keys: 19 of 20, four hung up there.
    expect(await badge("0").textContent()).toBe("100 % · 1 hung up");
    expect(await badge("1").textContent()).toBe("95 % · 4 hung up");
    expect(await graph.locator('g.node[data-id="1"] .badge.drop').count()).toBe(1);
    // press 1: half the calls; press 3: a quarter; press 2: nobody. Sales' Dial failed for two.
    expect(await badge("1_1_0").textContent()).toBe("50 %");
    expect(await badge("1_1_2").textContent()).toBe("25 %");
    expect(await badge("1_1_1").textContent()).toBe("0 %");
    expect(await badge("1_1_0_1~ok").textContent()).toBe("40 %");
    expect(await badge("1_1_0_1_1").textContent()).toBe("10 %");
    // The screen reader hears it too.
    expect(await graph.locator('g.node[data-id="1"]').getAttribute("aria-label")).toContain(
      "19 of 20 calls reached this menu (95 %); 4 hung up here",
    );

    await page.mouse.move(0, 0);
    await screenshot(page, "console-insights-graph.png");

    await page.getByRole("tab", { name: "Insights" }).click();
    const panel = page.locator("#panel-insights");
    await panel.locator(".insights-headline").waitFor();
    expect(await panel.locator(".insights-headline").textContent()).toMatch(/^20 calls to version [0-9a-f]{12} \(current\)/);
    expect(await panel.locator(".ended-list").textContent()).toContain("the caller hung up 5");
    expect(await panel.locator(".hour-chart rect.calls").count()).toBeGreaterThan(0);
    const drops = panel.getByRole("region", { name: "Where callers hung up" }).locator("li");
    expect(await drops.first().textContent()).toContain("line 5 · <Gather>");
    expect(await drops.first().textContent()).toContain("4 of 19 who reached it");
    await page.mouse.move(0, 0);
    await screenshot(page, "console-insights.png");

    // A drop-off leads to its lines in the editor.
    await drops.first().getByRole("button").click();
    await expect.poll(() => page.locator(".statusbar .cursor-pos").textContent()).toBe("Lines 5–32 selected");

    // Unpublished edits: the graph is no longer the counted version, so its percentages go.
    await page.getByRole("tab", { name: "Graph" }).click();
    await page.locator(".cm-line").nth(3).click();
    await page.keyboard.press("End");
    await page.keyboard.type(" ");
    await expect.poll(() => graph.locator(".badge").count()).toBe(0);
    await context.close();
  });
});
