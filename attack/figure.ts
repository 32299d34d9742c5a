/**
 * The paper's Fig 5a/b for a few attacks, one row each: the original, the
 * adversarial image, the perturbation (amplified, grey is zero), then for
 * each chosen unit (top units of the source class, then of the target) where
 * its activation rose (red) or fell (blue), on a dimmed copy of the original.
 */
import { Upsampler } from "../dissection/upsample.ts";
import { gridPng } from "../dissection/unit_image.ts";
import { planarToRgb } from "../data/image.ts";

/** One attacked image for the figure: original, adversarial, and the chosen units' maps before and after. */
export interface AttackExample {
  /** Planar pixels in [0, 1], [3, h, w]. */
  original: Float32Array;
  adversarial: Float32Array;
  units: number[];
  /** The layer's activations, [units, lh, lw], before and after. */
  before: Float32Array;
  after: Float32Array;
  h: number;
  w: number;
}

/** The C12 figure: per example, the images, their difference and each chosen unit's change, as a PNG. */
export function attackFigure(examples: AttackExample[], height: number, width: number): Uint8Array {
  if (height !== width) {
    throw new Error(`attack figure: images must be square, not ${height}x${width}`);
  }
  const size = height, plane = size * size;
  const rows = examples.map((ex) => {
    const delta = ex.adversarial.map((v, k) => v - ex.original[k]);
    // A loop, not a spread: 3 x 224 x 224 arguments overflow the call stack.
    let reach = 1e-12;
    for (const v of delta) reach = Math.max(reach, Math.abs(v));
    const maps = ex.units.map((u) => {
      const diff = new Float32Array(ex.h * ex.w);
      for (let k = 0; k < diff.length; k++) {
        diff[k] = ex.after[u * diff.length + k] - ex.before[u * diff.length + k];
      }
      const up = new Float32Array(plane);
      // Clamped edges: a change at the border is drawn at full strength, not faded.
      new Upsampler(ex.h, ex.w, size, size, "border").run(diff, 0, up);
      return up;
    });
    // A loop, not Math.max(...values): a 224 px map has too many values to spread as arguments.
    let scale = 1e-12;
    for (const m of maps) for (const v of m) scale = Math.max(scale, Math.abs(v));
    return [
      planarToRgb(ex.original, 0, plane),
      planarToRgb(ex.adversarial, 0, plane),
      planarToRgb(delta.map((d) => 0.5 + 0.5 * d / reach), 0, plane),
      ...maps.map((m) => overlay(ex.original, m, scale, plane)),
    ];
  });
  return gridPng(rows, size);
}

/** A dimmed grey copy of the image, tinted red where `m` > 0 and blue where < 0. */
function overlay(x: Float32Array, m: Float32Array, scale: number, plane: number): Uint8Array {
  const out = new Uint8Array(plane * 3);
  for (let k = 0; k < plane; k++) {
    const grey = 0.4 * (x[k] + x[plane + k] + x[2 * plane + k]) / 3;
    const a = Math.min(1, Math.abs(m[k]) / scale);
    const tint = m[k] > 0 ? [1, 0.15, 0.1] : [0.1, 0.3, 1];
    for (let c = 0; c < 3; c++) out[k * 3 + c] = Math.round(255 * ((1 - a) * grey + a * tint[c]));
  }
  return out;
}
