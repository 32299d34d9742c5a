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
