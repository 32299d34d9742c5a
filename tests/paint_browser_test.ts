/**
 * The paint page end to end: a store made by the pipeline on the toy models,
 * `paint/main.ts` serving it on a free port, and headless Chromium drawing a
 * stroke with the mouse. The image must change under the stroke and not
 * elsewhere, undo must bring the original back, and the page must make no
 * request beyond the server.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli, scratchDir } from "./helpers.ts";
import { launchBrowser, skipBrowserTests, watchPage } from "./browser.ts";
import { tinyGenerator, tinySegmenter } from "./fixtures/models.ts";
import { PROJECT_ROOT } from "../engine/paths.ts";
import { cellPixels, type Point, strokeCells } from "../paint/brush.ts";

/** A store holding what the page reads (generated samples, thresholds, dissection) of the toy models. */
async function toyStore(dir: string): Promise<{ store: string; config: string }> {
  const segmenter = join(dir, "segmenter.onnx");
  const generator = join(dir, "generator.onnx");
  await Deno.writeFile(segmenter, tinySegmenter());
  await Deno.writeFile(generator, tinyGenerator());
  const smoke = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, "configs/smoke.json")));
  const config = join(dir, "config.json");
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      ...smoke,
      models: {
        classifier: null,
        segmenter: { path: segmenter },
        generator: { path: generator, layers: ["layer1"] },
      },
      gan: { ...smoke.gan, editLayer: "layer1" },
      // No classifier, so no classifier stages to set parameters of.
      stages: {},
    }),
  );
  const store = join(dir, "store");
  const r = await runCli(["reproduce", "--config", config, "--store", store, "--only", "iou-gan"]);
  assertEquals(r.code, 0, r.stderr);
  return { store, config };
}

/** Start the server; resolve with its address once it prints it. */
async function startServer(store: string, config: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(PROJECT_ROOT, "paint/main.ts"),
      "--port",
      "0",
      "--store",
      store,
      "--config",
      config,
    ],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/http:\/\/\S+/.test(out)) {
    const { value, done } = await reader.read();
    if (done) {
      const err = await new Response(child.stderr).text();
      throw new Error(`the paint server exited before printing its address:\n${out}\n${err}`);
    }
    out += value;
  }
  await reader.cancel(); // it prints nothing more
  return { child, url: out.match(/http:\/\/\S+/)![0] };
}

Deno.test({
  name: "paint page: a mouse stroke changes the image under it, undo restores it",
  ignore: skipBrowserTests,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using tmp = await scratchDir();
    const dir = await tmp.subdir();
    const { store, config } = await toyStore(dir);
    const { child, url } = await startServer(store, config);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const { errors, requests } = watchPage(page);
      // A fixed sample: how much a stroke changes depends on what the sample already shows.
      await page.goto(`${url}?sample=0`);
      await page.waitForSelector('#image[data-strokes="0"]');
      const palette = await (await fetch(new URL("api/palette", url))).json();
      const size: number = palette.size;

      // Pick the last concept of the palette, then draw a horizontal stroke.
      const concepts = await page.$$('input[name="concept"]');
      assert(concepts.length >= 1, "the palette has concepts");
      await concepts.at(-1)!.check();
      // The shown image's RGBA pixels at its own size (a string: this runs in the page).
      const pixels = () =>
        page.evaluate<number[]>(`(() => {
          const img = document.getElementById("image");
          const c = document.createElement("canvas");
          [c.width, c.height] = [img.naturalWidth, img.naturalHeight];
          const g = c.getContext("2d");
          g.drawImage(img, 0, 0);
          return [...g.getImageData(0, 0, c.width, c.height).data];
        })()`);
      const before = await pixels();
      // The stroke as the page sent it: the browser may coalesce mouse moves,
      // so the region to check is the one the server was asked to paint.
      const sent: { points: Point[]; radius: number }[] = [];
      page.on("request", (req) => {
        if (!req.url().endsWith("api/paint")) return;
        const body = JSON.parse(req.postData() ?? "{}");
        if (body.strokes?.length === 1) sent.push(body.strokes[0]);
      });
      const box = (await page.locator("#overlay").boundingBox())!;
      const from = [0.2, 0.5], to = [0.6, 0.5]; // fractions of the image
      await page.mouse.move(box.x + from[0] * box.width, box.y + from[1] * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + to[0] * box.width, box.y + to[1] * box.height, { steps: 12 });
      await page.mouse.up();
      await page.waitForSelector('#image[data-strokes="1"]');
      const after = await pixels();

      // Inside: the pixels of the cells the sent stroke covers, as the server maps it.
      assertEquals(sent.length, 1, "one request carried the one stroke");
      const [stroke] = sent;
      assert(stroke.points.length >= 2, `the stroke has ${stroke.points.length} point(s)`);
      const near = cellPixels(
        strokeCells(stroke.points, stroke.radius, size, palette.h, palette.w),
        palette.h,
        palette.w,
        size,
      );
      const change = { inside: 0, outside: 0 }, count = { inside: 0, outside: 0 };
      for (let p = 0; p < size * size; p++) {
        const d = [0, 1, 2].reduce((s, c) => s + Math.abs(after[p * 4 + c] - before[p * 4 + c]), 0);
        const where = near[p] ? "inside" : "outside";
        change[where] += d / 3;
        count[where]++;
      }
      const inside = change.inside / count.inside, outside = change.outside / count.outside;
      assert(inside > 10, `the image changed under the stroke (mean ${inside.toFixed(1)} of 255)`);
      assert(
        inside > 10 * outside,
        `far more inside (${inside.toFixed(2)}) than outside (${outside.toFixed(2)})`,
      );

      await page.click("#undo");
      await page.waitForSelector('#image[data-strokes="0"]');
      assertEquals(await pixels(), before, "undo brings back the unedited image");
      const shown = await page.getAttribute("#image", "data-sample");
      await page.click("#new");
      await page.waitForFunction(
        `document.getElementById("image").dataset.sample !== ${JSON.stringify(shown)}`,
      );

      assertEquals(
        new URL(page.url()).searchParams.get("sample"),
        await page.getAttribute("#image", "data-sample"),
        "the address names the sample shown",
      );

      // A sample the run does not have is said, and a random one is shown.
      await page.goto(`${url}?sample=${size * 1000}`);
      await page.waitForSelector('#image[data-strokes="0"]');
      const status = await page.textContent("#status");
      assert(status?.startsWith(`no sample ${size * 1000} (the run has 0 to`), `status: ${status}`);

      assertEquals(errors, []);
      const origin = new URL(url).origin;
      assertEquals(
        requests.filter((u) => !u.startsWith(origin) && !u.startsWith("blob:")),
        [],
        "no request leaves the paint server",
      );
    } finally {
      await browser.close();
      child.kill("SIGTERM");
      await child.status;
      await child.stderr.cancel().catch(() => {});
    }
  },
});
