/**
 * A tiny label-aware rasterizer. Every fill writes color, object, part and
 * material at once, in painter's order, so ground truth is exactly what is
 * visible. Coverage is tested at pixel centers (x + 0.5, y + 0.5).
 */

/** Color at a pixel, packed 0xRRGGBB. */
export type Texture = (x: number, y: number) => number;

/** What filling a shape writes: color (or texture) and its object, part and material. */
export interface Paint {
  object: number;
  part?: number;
  material?: number;
  tex: Texture;
}

/** A region: integer bounding box [x0, x1) x [y0, y1) plus an inside test. */
export interface Shape {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  contains(px: number, py: number): boolean;
}

function box(
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
  contains: (px: number, py: number) => boolean,
): Shape {
  return {
    x0: Math.floor(minX),
    y0: Math.floor(minY),
    x1: Math.ceil(maxX),
    y1: Math.ceil(maxY),
    contains,
  };
}

/** Axis-aligned rectangle covering [x, x+w) x [y, y+h). */
export function rect(x: number, y: number, w: number, h: number): Shape {
  return box(
    x,
    y,
    x + w,
    y + h,
    (px, py) => px >= x && px < x + w && py >= y && py < y + h,
  );
}

/** An axis-aligned ellipse shape. */
export function ellipse(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
): Shape {
  const irx = 1 / Math.max(rx, 1e-6), iry = 1 / Math.max(ry, 1e-6);
  return box(cx - rx, cy - ry, cx + rx, cy + ry, (px, py) => {
    const dx = (px - cx) * irx, dy = (py - cy) * iry;
    return dx * dx + dy * dy <= 1;
  });
}

/** Polygon from flat [x0, y0, x1, y1, ...], even-odd rule. */
export function polygon(pts: readonly number[]): Shape {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < pts.length; i += 2) {
    minX = Math.min(minX, pts[i]);
    maxX = Math.max(maxX, pts[i]);
    minY = Math.min(minY, pts[i + 1]);
    maxY = Math.max(maxY, pts[i + 1]);
  }
  const n = pts.length / 2;
  return box(minX, minY, maxX, maxY, (px, py) => {
    let inside = false;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const xi = pts[2 * i], yi = pts[2 * i + 1];
      const xj = pts[2 * j], yj = pts[2 * j + 1];
      if (
        (yi > py) !== (yj > py) &&
        px < (xj - xi) * (py - yi) / (yj - yi) + xi
      ) inside = !inside;
    }
    return inside;
  });
}

/** Pixels inside both shapes. */
export function intersect(a: Shape, b: Shape): Shape {
  return {
    x0: Math.max(a.x0, b.x0),
    y0: Math.max(a.y0, b.y0),
    x1: Math.min(a.x1, b.x1),
    y1: Math.min(a.y1, b.y1),
    contains: (px, py) => a.contains(px, py) && b.contains(px, py),
  };
}

/** Pixels inside any of the shapes. */
export function union(...shapes: Shape[]): Shape {
  return {
    x0: Math.min(...shapes.map((s) => s.x0)),
    y0: Math.min(...shapes.map((s) => s.y0)),
    x1: Math.max(...shapes.map((s) => s.x1)),
    y1: Math.max(...shapes.map((s) => s.y1)),
    contains: (px, py) => shapes.some((s) => s.contains(px, py)),
  };
}

/** An RGB image with exact object, part and material maps, filled shape by shape. */
export class Canvas {
  readonly rgb: Uint8Array;
  readonly object: Uint8Array;
  readonly part: Uint8Array;
  readonly material: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    this.rgb = new Uint8Array(n * 3);
    this.object = new Uint8Array(n);
    this.part = new Uint8Array(n);
    this.material = new Uint8Array(n);
  }

  /** Paint a shape; returns the number of pixels written. */
  fill(shape: Shape, paint: Paint): number {
    const x0 = Math.max(0, shape.x0), y0 = Math.max(0, shape.y0);
    const x1 = Math.min(this.width, shape.x1);
    const y1 = Math.min(this.height, shape.y1);
    const part = paint.part ?? 0, material = paint.material ?? 0;
    let count = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (!shape.contains(x + 0.5, y + 0.5)) continue;
        const i = y * this.width + x;
        const c = paint.tex(x, y);
        this.rgb[3 * i] = (c >>> 16) & 255;
        this.rgb[3 * i + 1] = (c >>> 8) & 255;
        this.rgb[3 * i + 2] = c & 255;
        this.object[i] = paint.object;
        this.part[i] = part;
        this.material[i] = material;
        count++;
      }
    }
    return count;
  }

  /** Paint the whole canvas. */
  clear(paint: Paint): void {
    this.fill(rect(0, 0, this.width, this.height), paint);
  }
}
