/**
 * Where an edit lands: brush strokes and rectangles in image pixels, mapped
 * to the cells of the edited layer's feature map (h x w), and cells back to
 * the image pixels they cover. A cell map is h*w bytes, 1 = edited.
 */
import { DissectError } from "../engine/errors.ts";

/** A point of a stroke in output pixels. */
export type Point = [number, number];

/** A cell counts as painted when the brush covers this share of it, or a point falls in it. */
const MIN_COVER = 0.25;

/**
 * The cells under a stroke: the brush (a disc of `radius` pixels) swept
 * along the polyline `points`, in an image of size x size pixels.
 */
export function strokeCells(
  points: Point[],
  radius: number,
  size: number,
  h: number,
  w: number,
): Uint8Array {
  const cells = new Uint8Array(h * w);
  const covered = new Float64Array(h * w);
  const mask = brushMask(points, radius, size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      if (mask[py * size + px]) covered[cellOf(py, size, h) * w + cellOf(px, size, w)]++;
    }
  }
  for (let c = 0; c < h * w; c++) {
    const cy = Math.floor(c / w), cx = c % w;
    const area = cellSpan(cy, size, h) * cellSpan(cx, size, w);
    if (covered[c] >= MIN_COVER * area) cells[c] = 1;
  }
  // A click paints the cell under it, however small the brush.
  for (const [x, y] of points) {
    const cy = cellOf(Math.min(size - 1, Math.floor(y)), size, h);
    const cx = cellOf(Math.min(size - 1, Math.floor(x)), size, w);
    cells[cy * w + cx] = 1;
  }
  return cells;
}

/** The cells whose centers lie in a rectangle [top, left, bottom, right], in fractions of the image. */
export function regionCells(
  region: readonly [number, number, number, number],
  h: number,
  w: number,
): Uint8Array {
  const [top, left, bottom, right] = region;
  const cells = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cy = (y + 0.5) / h, cx = (x + 0.5) / w;
      if (cy >= top && cy < bottom && cx >= left && cx < right) cells[y * w + x] = 1;
    }
  }
  if (!cells.some((c) => c)) {
    throw new DissectError(
      "CONFIG",
      `region ${JSON.stringify(region)} holds the center of no ${h}x${w} cell`,
      "a region is [top, left, bottom, right] in fractions of the image; make it larger",
    );
  }
  return cells;
}

/** The image pixels (size x size, 1 = inside) that the marked cells cover. */
export function cellPixels(cells: Uint8Array, h: number, w: number, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let py = 0; py < size; py++) {
    const cy = cellOf(py, size, h);
    for (let px = 0; px < size; px++) out[py * size + px] = cells[cy * w + cellOf(px, size, w)];
  }
  return out;
}

/** The cell (of n along a side) holding pixel p of size. */
function cellOf(p: number, size: number, n: number): number {
  return Math.min(n - 1, Math.floor((p * n) / size));
}

/** Pixels of a side of size that fall in cell c of n. */
function cellSpan(c: number, size: number, n: number): number {
  let count = 0;
  for (let p = 0; p < size; p++) if (cellOf(p, size, n) === c) count++;
  return count;
}

/** Pixels (at their centers) within radius of the polyline; each segment visits only its box. */
export function brushMask(points: Point[], radius: number, size: number): Uint8Array {
  const mask = new Uint8Array(size * size);
  const r2 = radius * radius;
  const segments = points.length === 1
    ? [[points[0], points[0]]]
    : points.slice(1).map((b, i) => [points[i], b]);
  for (const [[ax, ay], [bx, by]] of segments) {
    const dx = bx - ax, dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
    const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + radius));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - radius));
    const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + radius));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const x = px + 0.5, y = py + 0.5;
        const t = len2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
        if ((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= r2) mask[py * size + px] = 1;
      }
    }
  }
  return mask;
}

/**
 * Pixels of class `cls` in one class map (from `offset`, `pixels` long),
 * inside the region (`inside[q]` = 1) and outside it.
 */
export function countInRegion(
  map: ArrayLike<number>,
  offset: number,
  pixels: number,
  inside: Uint8Array,
  cls: number,
): [number, number] {
  let inR = 0, outR = 0;
  for (let q = 0; q < pixels; q++) {
    if (map[offset + q] !== cls) continue;
    if (inside[q]) inR++;
    else outR++;
  }
  return [inR, outR];
}

/** The region's border drawn in yellow just outside it (in place), so the painted area shows. */
export function outlineRegion(rgb: Uint8Array, inside: Uint8Array, size: number): Uint8Array {
  const at = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < size && y < size && inside[y * size + x] === 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (at(x, y)) continue;
      if (at(x - 1, y) || at(x + 1, y) || at(x, y - 1) || at(x, y + 1)) {
        rgb.set([255, 220, 0], (y * size + x) * 3);
      }
    }
  }
  return rgb;
}
