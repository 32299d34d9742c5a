/** Conversions between the models' planar float images and interleaved RGB bytes. */

/**
 * One planar image (3 planes of `px` floats in [0, 1], from `offset`) as
 * interleaved RGB bytes, rounded and clamped, written at `at` of `out`.
 */
export function planarToRgb(
  chw: Float32Array,
  offset: number,
  px: number,
  out: Uint8Array = new Uint8Array(px * 3),
  at = 0,
): Uint8Array {
  for (let c = 0; c < 3; c++) {
    const plane = offset + c * px;
    for (let p = 0; p < px; p++) {
      const v = Math.round(chw[plane + p] * 255);
      out[at + p * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/**
 * n square images of `from` px (interleaved RGB bytes) scaled to `to` px,
 * bilinear with pixel centres aligned (torch's interpolate with
 * align_corners=False, no antialiasing): halving averages each 2x2 block.
 * Rounded to the nearest byte; the same images when the sizes are equal.
 */
export function scaleRgb(rgb: Uint8Array, n: number, from: number, to: number): Uint8Array {
  if (from === to) return rgb;
  const axis = Array.from({ length: to }, (_, o) => {
    const x = Math.min(Math.max((o + 0.5) * (from / to) - 0.5, 0), from - 1);
    const i0 = Math.floor(x), i1 = Math.min(i0 + 1, from - 1);
    return { i0, i1, w: x - i0 };
  });
  const out = new Uint8Array(n * to * to * 3);
  for (let k = 0; k < n; k++) {
    const src = k * from * from * 3, dst = k * to * to * 3;
    for (let y = 0; y < to; y++) {
      const { i0: y0, i1: y1, w: wy } = axis[y];
      for (let x = 0; x < to; x++) {
        const { i0: x0, i1: x1, w: wx } = axis[x];
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number) => rgb[src + (yy * from + xx) * 3 + c];
          const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * wx;
          const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * wx;
          out[dst + (y * to + x) * 3 + c] = Math.round(top + (bottom - top) * wy);
        }
      }
    }
  }
  return out;
}
