// The paper's four "half-box" part concepts, derived from the object map: for
// every 4-connected component of every object class, the top/bottom and
// left/right halves of the component's bounding box.

/** Half-box flag bits of a pixel: in the top half of its object's box. */
export const HALF_TOP = 1;
/** In the bottom half. */
export const HALF_BOTTOM = 2;
/** In the left half. */
export const HALF_LEFT = 4;
/** In the right half. */
export const HALF_RIGHT = 8;

/**
 * Per-pixel flags (top=1, bottom=2, left=4, right=8) for an object map of
 * size width x height. Each labeled pixel gets exactly one of top/bottom and
 * one of left/right. For a box of odd height the middle row goes to the top
 * half; for odd width the middle column goes to the left half (so a 1-pixel
 * tall component is all "top", a 1-pixel wide one all "left").
 * Pixels with object 0 ("none") get 0.
 */
export function halfBoxFlags(
  object: ArrayLike<number>,
  width: number,
  height: number,
): Uint8Array {
  const n = width * height;
  const flags = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const members = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    const cls = object[start];
    if (seen[start] || cls === 0) continue;
    // Flood fill one component, collecting members and its bounding box.
    let sp = 0, count = 0;
    let x0 = width, x1 = -1, y0 = height, y1 = -1;
    stack[sp++] = start;
    seen[start] = 1;
    while (sp > 0) {
      const i = stack[--sp];
      members[count++] = i;
      const x = i % width, y = (i - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x > 0 && !seen[i - 1] && object[i - 1] === cls) {
        seen[i - 1] = 1;
        stack[sp++] = i - 1;
      }
      if (x < width - 1 && !seen[i + 1] && object[i + 1] === cls) {
        seen[i + 1] = 1;
        stack[sp++] = i + 1;
      }
      if (y > 0 && !seen[i - width] && object[i - width] === cls) {
        seen[i - width] = 1;
        stack[sp++] = i - width;
      }
      if (y < height - 1 && !seen[i + width] && object[i + width] === cls) {
        seen[i + width] = 1;
        stack[sp++] = i + width;
      }
    }
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    for (let k = 0; k < count; k++) {
      const i = members[k];
      const x = i % width, y = (i - x) / width;
      flags[i] = (2 * (y - y0) < bh ? HALF_TOP : HALF_BOTTOM) |
        (2 * (x - x0) < bw ? HALF_LEFT : HALF_RIGHT);
    }
  }
  return flags;
}
