/**
 * The report opens from file:// in headless Chromium with no console errors,
 * draws its figures with the bundled uPlot, and has one page per claim.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli, tempDir } from "./helpers.ts";
import { launchBrowser, skipBrowserTests, watchPage } from "./browser.ts";
import { parseClaims } from "../reports/claims_table.ts";
import { PROJECT_ROOT } from "../engine/paths.ts";
import { figureHtml } from "../reports/figures.ts";
import { page as htmlPage } from "../reports/html.ts";

Deno.test({
  name: "report pages load offline with no console errors and draw their figures",
  ignore: skipBrowserTests,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const store = await tempDir();
    const r = await runCli(["reproduce", "--store", store, "--config", "configs/smoke.json"]);
    assertEquals(r.code, 0, r.stderr);
    const index = join(store, "report", "index.html");
    const claims = parseClaims(await Deno.readTextFile(join(PROJECT_ROOT, "reports/claims.md")));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const { errors, requests } = watchPage(page);
      await page.goto(`file://${index}`);
      await page.waitForLoadState("load");
      const links = await page.$$eval(
        "a[href^='claims/']",
        (as) => as.map((a) => a.getAttribute("href")),
      );
      assertEquals(links.length, claims.length);
      assert(
        await page.evaluate(() => typeof (globalThis as { uPlot?: unknown }).uPlot === "function"),
      );
      const indexFigures = await page.$$eval("figure.plot", (f) => f.length);
      assert(indexFigures >= 1, "the index has a figure");
      assertEquals(await page.$$eval("figure.plot canvas", (c) => c.length), indexFigures);
      for (const claim of claims) {
        await page.goto(`file://${join(store, "report", "claims", `${claim.id}.html`)}`);
        await page.waitForLoadState("load");
        const h1 = await page.textContent("h1");
        assert(h1?.startsWith(claim.id), `page of ${claim.id} has its title`);
        const figures = await page.$$eval("figure.plot", (f) => f.length);
        const canvases = await page.$$eval("figure.plot canvas", (c) => c.length);
        assertEquals(canvases, figures, `every figure of ${claim.id} is drawn`);
      }
      // A bar chart with a negative value draws that bar below the zero line.
      const scratch = await tempDir();
      await Deno.symlink(join(store, "report", "assets"), join(scratch, "assets"));
      const bars = figureHtml({
        kind: "bars",
        title: "signed",
        xLabel: "concept",
        yLabel: "change",
        x: [0, 1, 2],
        xNames: ["tree", "door", "sky"],
        series: [{ label: "change", values: [0.4, -0.3, 0.1] }],
      });
      // And a threshold across a scatter (C3, C9) is a line, not a dot per image.
      const strip = figureHtml({
        kind: "points",
        title: "peaks",
        xLabel: "present",
        yLabel: "peak",
        x: [0, 0.1, 1, 1.1],
        series: [
          { label: "peak", values: [0.2, 0.3, 0.8, 0.9] },
          { label: "threshold", values: [0.5, 0.5, 0.5, 0.5], line: true },
        ],
      });
      await Deno.writeTextFile(join(scratch, "bars.html"), htmlPage("bars", bars + strip));
      await page.goto(`file://${join(scratch, "bars.html")}`);
      await page.waitForLoadState("load");
      const placed = await page.$eval("figure.plot", (f) => {
        const u = (f as unknown as {
          plot: { scales: { y: { min: number } }; valToPos(v: number, s: string): number };
        }).plot;
        return { min: u.scales.y.min, zero: u.valToPos(0, "y"), neg: u.valToPos(-0.3, "y") };
      });
      assert(placed.min <= -0.3, `the y range reaches the negative bar: ${placed.min}`);
      assert(placed.neg > placed.zero, "the negative bar lies below the zero line");
      const drawn = await page.$$eval("figure.plot", (fs) =>
        fs.map((f) => {
          const u = (f as unknown as {
            plot: { series: { width: number; points: { show: unknown } }[] };
          }).plot;
          return u.series.slice(1).map((s) => s.width);
        }));
      assertEquals(drawn[1], [0, 2], "peaks as dots, the threshold as a line");
      assertEquals(errors, []);
      assertEquals(requests.filter((u) => !u.startsWith("file://")), [], "no network requests");
    } finally {
      await browser.close();
    }
  },
});
