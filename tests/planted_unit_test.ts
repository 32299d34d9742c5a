/**
 * Method validity end to end, with no trained model: through the real
 * segment, activations, quantile and iou stages, a unit built to fire exactly
 * on one concept is labeled with it at IoU >= 0.95, and a unit of noise
 * scores below 0.05 with every concept.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { catalogRows, runCli, scratchDir } from "./helpers.ts";
import { plantedProbe, plantedSegmenter } from "./fixtures/planted/models.ts";

for (const over of ["upsampled", "layer"]) {
  Deno.test(`a planted unit is found with its concept; a noise unit is not (thresholds over ${over})`, async () => {
    await using tmp = await scratchDir();
    const dir = await tmp.subdir();
    await Deno.writeFile(join(dir, "segmenter.onnx"), plantedSegmenter());
    await Deno.writeFile(join(dir, "probe.onnx"), plantedProbe());
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        name: "planted",
        models: {
          segmenter: { path: join(dir, "segmenter.onnx") },
          classifier: { path: join(dir, "probe.onnx") },
        },
      }),
    );
    const store = join(dir, "store");
    const r = await runCli([
      "reproduce",
      "--pipeline",
      "tests/fixtures/planted/pipeline.ts",
      "--config",
      config,
      "--store",
      store,
      "--set",
      `quantile.over="${over}"`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const labels = await catalogRows<{ unit: number; name: string; iou: number }>(
      store,
      "SELECT layer, unit, name, iou FROM iou__unit_labels WHERE layer = 'probe' ORDER BY unit",
    );
    assertEquals(labels[0].name, "square");
    assert(labels[0].iou >= 0.95, `planted unit IoU ${labels[0].iou}`);
    assert(labels[1].iou < 0.05, `noise unit best IoU ${labels[1].iou} (${labels[1].name})`);
    // At half resolution the mask is the upsampled map's: the square, blurred by one pixel.
    const half = await catalogRows<{ unit: number; name: string; iou: number }>(
      store,
      "SELECT unit, name, iou FROM iou__unit_labels WHERE layer = 'probe_half' ORDER BY unit",
    );
    assertEquals(half[0].name, "square");
    assert(half[0].iou >= 0.6, `half-resolution planted unit IoU ${half[0].iou}`);
    assert(half[1].iou < 0.05, `half-resolution noise unit best IoU ${half[1].iou}`);
    // The definition asked for is the one the thresholds record, and it covers q of the pixels.
    const defs = await catalogRows<{ over: string; border: string }>(
      store,
      "SELECT DISTINCT over, border FROM quantile__threshold_definition",
    );
    assertEquals(defs, [{ over, border: "zeros" }]);
    if (over === "upsampled") {
      const [area] = await catalogRows<{ gap: number }>(
        store,
        `SELECT max(abs(l.unit_area / (40 * 64 * 64) - t.fraction_above)) AS gap
         FROM (SELECT DISTINCT layer, unit, unit_area FROM iou__unit_concept) l
         JOIN quantile__thresholds t USING (layer, unit)`,
      );
      assertEquals(area.gap, 0, "a unit's mask area over all pixels is its fraction above t_u");
    }
  });
}
