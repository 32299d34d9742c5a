/**
 * Dissection overhead: for one conv layer of the zoo classifier over a val
 * split, the forward pass (the activations stage) against what dissection
 * adds (quantile + iou + top-k images), timed as the real stages run.
 * Target: dissection adds at most 25% to the forward time.
 */
import type { Benchmark } from "./harness.ts";
import { stageSeconds } from "./pipeline_run.ts";

const IMAGES = 600;

export const dissection: Benchmark = {
  name: "dissection",
  description: `conv5_3 over ${IMAGES} val images: quantile + iou + top-k vs the forward pass`,
  async run() {
    const s = await stageSeconds(
      { name: "bench", world: { counts: { val: IMAGES } } },
      ["--only", "iou-val", "--set", 'activations-val.layers=["conv5_3"]'],
    );
    const forward = s["activations-val"];
    const dissect = s["quantile-val"] + s["iou-val"];
    return {
      metrics: {
        forward_s: forward,
        dissection_s: dissect,
        forward_images_per_s: IMAGES / forward,
        dissection_images_per_s: IMAGES / dissect,
      },
      ratio: { name: "dissection / forward", value: dissect / forward, max: 0.25 },
    };
  },
};
