/**
 * Dissection overhead: for one conv layer of the zoo classifier over the val
 * split, the forward pass (the activations stage) against what dissection
 * adds (quantile + iou: thresholds, IoU counts, top-k images and their
 * pictures), timed as the real stages run. Target: dissection adds at most
 * 25% to the forward time.
 *
 * Run at the default val size and at twice it. The dissection stages are run
 * a second time alone (--force) so that their process's peak memory can be
 * compared across the two sizes: it must not grow with the number of images.
 */
import type { Benchmark } from "./harness.ts";
import { pipelineRuns } from "./pipeline_run.ts";

const SIZES = [1200, 2400];
const LAYER = ["--only", "iou-val", "--set", 'activations-val.layers=["conv5_3"]'];
const DISSECTION = ["quantile-val", "iou-val"];

export const dissection: Benchmark = {
  name: "dissection",
  description: `conv5_3 over ${SIZES.join(" and ")} val images: quantile + iou vs the forward pass`,
  async run() {
    const at = [];
    for (const images of SIZES) {
      const [all, alone] = await pipelineRuns(
        { name: "bench", world: { counts: { val: images } } },
        [LAYER, [...LAYER, ...DISSECTION.flatMap((s) => ["--force", s])]],
      );
      const forward = all.seconds["activations-val"];
      const dissect = DISSECTION.reduce((t, s) => t + alone.seconds[s], 0);
      at.push({ images, forward, dissect, memory: alone.peakRssBytes });
    }
    const [small, large] = at;
    const metrics: Record<string, number> = {};
    for (const a of at) {
      metrics[`forward_images_per_s_${a.images}`] = a.images / a.forward;
      metrics[`dissection_images_per_s_${a.images}`] = a.images / a.dissect;
      metrics[`dissection_peak_mib_${a.images}`] = a.memory / 2 ** 20;
    }
    // Per extra image, fixed costs (sessions, tables, unit pictures) cancel.
    metrics.marginal_dissection_over_forward = (large.dissect - small.dissect) /
      (large.forward - small.forward);
    return {
      metrics,
      ratios: [
        {
          name: `dissection / forward (${large.images} images)`,
          value: large.dissect / large.forward,
          max: 0.25,
        },
        {
          name: `peak memory ${large.images} / ${small.images} images`,
          value: large.memory / small.memory,
          max: 1.1,
        },
      ],
    };
  },
};
