/**
 * Unit images in the paper's style: an image with the region where the
 * unit's upsampled activation exceeds t_u shown as is, the rest dimmed, and
 * the region's border drawn.
 */
import { type Border, Upsampler } from "./upsample.ts";
import { encodePng } from "../data/png.ts";

/** An image with one unit's mask shown as is, the rest dimmed, and the mask's border drawn. */
export function highlight(
  rgb: Uint8Array,
  size: number,
  acts: Float32Array,
  offset: number,
  h: number,
  w: number,
  threshold: number,
  border: Border = "zeros",
): Uint8Array {
  const up = new Float32Array(size * size);
  new Upsampler(h, w, size, size, border).run(acts, offset, up);
  const on = new Uint8Array(size * size);
  for (let p = 0; p < on.length; p++) on[p] = up[p] > threshold ? 1 : 0;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x, o = p * 3;
      if (!on[p]) {
        out[o] = (rgb[o] + 2) >> 2; // a quarter, rounded
        out[o + 1] = (rgb[o + 1] + 2) >> 2;
        out[o + 2] = (rgb[o + 2] + 2) >> 2;
        continue;
      }
      // A masked pixel with a neighbour outside the mask (or the image) is border.
      const edge = x === 0 || y === 0 || x === size - 1 || y === size - 1 ||
        !on[p - 1] || !on[p + 1] || !on[p - size] || !on[p + size];
      out[o] = edge ? 230 : rgb[o];
      out[o + 1] = edge ? 255 : rgb[o + 1];
      out[o + 2] = edge ? 230 : rgb[o + 2];
    }
  }
  return out;
}

/** Images of equal size side by side, 2-pixel gaps, as one RGB buffer. */
export function strip(
  images: Uint8Array[],
  size: number,
): { rgb: Uint8Array; width: number; height: number } {
  const gap = 2, width = images.length * (size + gap) - gap;
  const rgb = new Uint8Array(width * size * 3).fill(255);
  images.forEach((img, k) => {
    for (let y = 0; y < size; y++) {
      rgb.set(img.subarray(y * size * 3, (y + 1) * size * 3), (y * width + k * (size + gap)) * 3);
    }
  });
  return { rgb, width, height: size };
}

/** Rows of equal-size images as one PNG, 2-pixel gaps; rows may differ in length. */
export function gridPng(rows: Uint8Array[][], size: number): Uint8Array {
  const strips = rows.map((r) => strip(r, size));
  const gap = 2, W = Math.max(...strips.map((s) => s.width)), H = rows.length * (size + gap) - gap;
  const out = new Uint8Array(W * H * 3).fill(255);
  strips.forEach((s, r) => {
    for (let y = 0; y < size; y++) {
      out.set(
        s.rgb.subarray(y * s.width * 3, (y + 1) * s.width * 3),
        ((r * (size + gap) + y) * W) * 3,
      );
    }
  });
  return encodePng(out, W, H);
}

/** Equal-size images in a square-ish grid as one PNG, 2-pixel gaps. */
export function squareGrid(images: Uint8Array[], size: number): Uint8Array {
  const cols = Math.ceil(Math.sqrt(images.length));
  const rows = Array.from(
    { length: Math.ceil(images.length / cols) },
    (_, r) => images.slice(r * cols, (r + 1) * cols),
  );
  return gridPng(rows, size);
}

/** Pairs of images (before, after) as a two-row PNG: befores on top, afters below. */
export function beforeAfterPng(pairs: Uint8Array[][], size: number): Uint8Array {
  return gridPng([pairs.map((e) => e[0]), pairs.map((e) => e[1])], size);
}

/** The layer of the units drawn: its unit count and map size. */
export interface LayerShape {
  units: number;
  height: number;
  width: number;
}

/** What drawing a layer's unit strips needs: the layer, each unit's top images, thresholds, edge mode, reader. */
export interface StripSource {
  layer: LayerShape;
  /** Per unit, its top images, best first. */
  top: readonly (readonly { image: number }[])[];
  thresholds: ArrayLike<number>;
  /** Images are size x size, as the segmentation the thresholds were taken over. */
  size: number;
  border: Border;
  /** One of a unit's top images: its pixels and the unit's map (height x width) on it. */
  read: (image: number, unit: number) => { rgb: Uint8Array; map: Float32Array };
}

/**
 * One unit's top images as a strip PNG: each image with the unit's mask (its
 * activation upsampled with the thresholds' edge mode, above t_u). `read`
 * gives an image's pixels and the unit's map on it.
 */
export function unitStrip(opts: StripSource, unit: number): Uint8Array {
  const { layer: { height: h, width: w }, size } = opts;
  const shown = opts.top[unit].map((t) => {
    const { rgb, map } = opts.read(t.image, unit);
    return highlight(rgb, size, map, 0, h, w, opts.thresholds[unit], opts.border);
  });
  const s = strip(shown, size);
  return encodePng(s.rgb, s.width, s.height, 1);
}

/** Every unit's strip (unitStrip), unit by unit. */
export function* unitStrips(opts: StripSource): Generator<{ unit: number; png: Uint8Array }> {
  for (let unit = 0; unit < opts.layer.units; unit++) yield { unit, png: unitStrip(opts, unit) };
}
