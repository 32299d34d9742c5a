/**
 * The segmentation's resolution is a parameter of the segment stage: the
 * smoke world (64 px) dissected against a 32-px segmentation, as Broden's
 * label maps are half their images' side. Thresholds and IoU are taken at
 * 32 px, unit strips drawn there, and the segmenter left unscored (ground
 * truth is at 64 px).
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { catalogRows, reproduceArgs, runCli, tempDir } from "./helpers.ts";

Deno.test("a segmentation at half the images' side: dissected at its resolution", async () => {
  const dir = await tempDir();
  try {
    const store = join(dir, "store");
    const r = await runCli(
      reproduceArgs(
        "configs/smoke.json",
        store,
        "--only",
        "iou-val",
        "--set",
        "segment-val.size=32",
        "--json",
      ),
    );
    assertEquals(r.code, 0, r.stderr);
    const rows = <T>(sql: string) => catalogRows<T>(store, sql);
    assertEquals(
      await rows("SELECT DISTINCT height, width FROM quantile_val__threshold_definition"),
      [{ height: 32, width: 32 }],
    );
    assertEquals(await rows("SELECT count(*)::INT AS n FROM segment_val__segmenter_scores"), [{
      n: 0,
    }]);
    // Every unit of the 13 layers is labeled, against planes of 32 x 32 pixels each.
    assertEquals(await rows("SELECT count(*)::INT AS n FROM iou_val__unit_labels"), [{ n: 720 }]);
    const [{ pixels }] = await rows<{ pixels: number }>(
      "SELECT max(unit_area)::DOUBLE AS pixels FROM iou_val__unit_concept",
    );
    assertEquals(pixels <= 24 * 32 * 32, true, `${pixels}`);
    // A unit strip is drawn at 32 px.
    const run = JSON.parse(r.stdout).run;
    const iou = run.nodes.find((n: { node: string }) => n.node === "iou-val");
    const png = await Deno.readFile(
      join(store, "objects", "iou", iou.key, "units", "conv5_3-0.png"),
    );
    const height = new DataView(png.buffer).getUint32(20);
    assertEquals(height, 32);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
