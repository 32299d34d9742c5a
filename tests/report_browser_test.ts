/**
 * The report opens from file:// in headless Chromium with no console errors,
 * draws its figures with the bundled uPlot, and has one page per claim.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli, scratchDir } from "./helpers.ts";
import { launchBrowser, skipBrowserTests, watchPage } from "./browser.ts";
import type { Page } from "playwright-core";
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
    await using tmp = await scratchDir();
    const store = await tmp.subdir();
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
      assertEquals(await inkOnEdges(page), [], "no chart label of the index is cut off");
      for (const claim of claims) {
        await page.goto(`file://${join(store, "report", "claims", `${claim.id}.html`)}`);
        await page.waitForLoadState("load");
        const h1 = await page.textContent("h1");
        assert(h1?.startsWith(claim.id), `page of ${claim.id} has its title`);
        const figures = await page.$$eval("figure.plot", (f) => f.length);
        const canvases = await page.$$eval("figure.plot canvas", (c) => c.length);
        assertEquals(canvases, figures, `every figure of ${claim.id} is drawn`);
        assertEquals(await inkOnEdges(page), [], `no chart label of ${claim.id} is cut off`);
        // Tables (the confusion matrix) fit the page rather than scroll out of it.
        const wide = await page.$$eval(
          "main table",
          (ts) =>
            ts.filter((t) =>
              t.getBoundingClientRect().right >
                t.closest("main")!.getBoundingClientRect().right + 1
            ).map((t) => t.textContent!.slice(0, 60)),
        );
        assertEquals(wide, [], `every table of ${claim.id} fits the page`);
      }
      // A bar chart with a negative value draws that bar below the zero line.
      const scratch = await tmp.subdir();
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
      // Long category names at the end of a line chart (C2, C8) stay on the canvas.
      const layers = figureHtml({
        kind: "lines",
        title: "layers",
        xLabel: "layer",
        yLabel: "concepts",
        x: [0, 1, 2, 3],
        xNames: ["conv1_1", "conv3_3", "a_rather_long_layer_name_4", "features.28/Relu_output_0"],
        series: [{ label: "objects", values: [1, 2, 3, 4] }],
      });
      await Deno.writeTextFile(
        join(scratch, "bars.html"),
        htmlPage("bars", bars + strip + layers),
      );
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
      assertEquals(await inkOnEdges(page), [], "long labels are not cut off");
      assertEquals(errors, []);
      assertEquals(requests.filter((u) => !u.startsWith("file://")), [], "no network requests");
    } finally {
      await browser.close();
    }
  },
});

/**
 * Charts with ink on an outer edge of their canvas (any of its four outer
 * pixel lines): something drawn there ran past the canvas and was cut off.
 */
async function inkOnEdges(page: Page): Promise<string[]> {
  return await page.$$eval("figure.plot", (figs) =>
    figs.flatMap((f) => {
      const canvas = f.querySelector("canvas")!;
      const { width: w, height: h } = canvas;
      const data = canvas.getContext("2d")!.getImageData(0, 0, w, h).data;
      const inked = (x: number, y: number) => data[(y * w + x) * 4 + 3] > 0;
      let edge = "";
      for (let y = 0; y < h && !edge; y++) {
        if (inked(0, y)) edge = "left";
        else if (inked(w - 1, y)) edge = "right";
      }
      for (let x = 0; x < w && !edge; x++) {
        if (inked(x, h - 1)) edge = "bottom";
        else if (inked(x, 0)) edge = "top";
      }
      return edge ? [`${f.querySelector("figcaption")?.textContent}: ${edge} edge`] : [];
    }));
}
