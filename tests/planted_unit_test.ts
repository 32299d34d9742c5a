/**
 * Method validity end to end, with no trained model: through the real
 * segment, activations, quantile and iou stages, a unit built to fire exactly
 * on one concept is labeled with it at IoU >= 0.95, and a unit of noise
 * scores below 0.05 with every concept.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { catalogRows, runCli, tempDir } from "./helpers.ts";
import { plantedProbe, plantedSegmenter } from "./fixtures/planted/models.ts";

for (const over of ["upsampled", "layer"]) {
  Deno.test(`a planted unit is found with its concept; a noise unit is not (thresholds over ${over})`, async () => {
    const dir = await tempDir();
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
    console.log(over, half);
    assertEquals(half[0].name, "square");
    assert(half[1].iou < 0.05, `half-resolution noise unit best IoU ${half[1].iou}`);
  });
}
