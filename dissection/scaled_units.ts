/**
 * Unit counts the paper gives for its 512-unit layers (remove 4 or 20 of
 * conv5_3's units, force 20 door units on at the GAN's layer4), scaled to the
 * same fraction of a layer of another width. Decided before any result used
 * it: `max(1, round(k * width / 512))`, halves rounded up.
 */

/** The width of every layer the paper's unit counts refer to (conv5_3; ProGAN's layer4). */
export const PAPER_LAYER_WIDTH = 512;

/** The paper's count k for a 512-unit layer, as the same fraction of a layer of `width` units. */
export function scaledUnits(k: number, width: number): number {
  if (!(Number.isInteger(k) && k >= 1)) {
    throw new RangeError(`unit count must be a positive integer, got ${k}`);
  }
  if (!(Number.isInteger(width) && width >= 1)) {
    throw new RangeError(`layer width must be a positive integer, got ${width}`);
  }
  return Math.min(width, Math.max(1, Math.round((k * width) / PAPER_LAYER_WIDTH)));
}

/** How a stage's unit count is read: the paper's count scaled to the layer, or taken as given. */
export const UNIT_SCALES = ["layer", "absolute"] as const;

/** The units a stage uses for the paper's count k at a layer of `width` units. */
export function unitsFor(k: number, width: number, scale: typeof UNIT_SCALES[number]): number {
  return scale === "layer" ? scaledUnits(k, width) : k;
}
