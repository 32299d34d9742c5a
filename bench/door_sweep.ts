/**
 * The door sweep of door-insertion (generator tail + segmenter for every
 * sample and location, batched) against plain generation of as many images
 * (the generate stage), in images per second. Target: at most 3x slower per
 * image, since each edited image costs a tail pass and a segmentation.
 */
import type { Benchmark } from "./harness.ts";
import { stageSeconds } from "./pipeline_run.ts";

const SAMPLES = 8;
const LOCATIONS = 64; // layer4 is 8x8
const IMAGES = SAMPLES * (LOCATIONS + 1);

/** The door-insertion sweep against generating as many images. */
export const doorSweep: Benchmark = {
  name: "door-sweep",
  description:
    `door insertion over ${SAMPLES} samples x ${LOCATIONS} locations vs generating ${IMAGES} images`,
  async run() {
    const s = await stageSeconds(
      { name: "bench", gan: { samples: IMAGES, doorSamples: SAMPLES } },
      ["--only", "door-insertion"],
    );
    const sweep = s["door-insertion"], plain = s["gan-church"];
    return {
      metrics: { sweep_images_per_s: IMAGES / sweep, generation_images_per_s: IMAGES / plain },
      ratios: [{ name: "sweep / generation (time per image)", value: sweep / plain, max: 3 }],
    };
  },
};
