/**
 * Removing every unit of conv5_3 one at a time (rank-units) against one
 * plain forward pass of the classifier over as many images (classify).
 * The head runs once per batch and only the tail reruns, so the target is
 * at most 3x.
 */
import type { Benchmark } from "./harness.ts";
import { stageSeconds } from "./pipeline_run.ts";

const IMAGES = 2400;

/** Ranking units by single-unit removal against one forward pass over the same images. */
export const rankUnits: Benchmark = {
  name: "rank-units",
  description: `ablating each conv5_3 unit over ${IMAGES} images vs one forward pass over them`,
  async run() {
    const s = await stageSeconds(
      { name: "bench", world: { version: 1, counts: { train: IMAGES, val: IMAGES } } },
      ["--only", "rank-units", "--only", "classify-val"],
    );
    const forward = s["classify-val"], ablation = s["rank-units"];
    return {
      metrics: { forward_s: forward, ablation_s: ablation, images: IMAGES },
      ratios: [{ name: "all single-unit ablations / forward", value: ablation / forward, max: 3 }],
    };
  },
};
