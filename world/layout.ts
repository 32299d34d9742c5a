/**
 * Scene layout helpers: perspective depth, painter's-order placement queues,
 * ground bands and the indoor room box.
 */

import { polygon, rect } from "./canvas.ts";
import { type Ctx, mat } from "./objects/common.ts";
import * as T from "./textures.ts";
import type { MaterialName, ObjectName } from "./vocabulary.ts";

/** Things standing on the ground, drawn far (small y) to near (large y). */
export class Queue {
  private items: { y: number; k: number; draw: () => void }[] = [];
  add(y: number, draw: () => void): void {
    this.items.push({ y, k: this.items.length, draw });
  }
  flush(): void {
    this.items.sort((a, b) => a.y - b.y || a.k - b.k);
    for (const it of this.items) it.draw();
    this.items = [];
  }
}

/** Scale of a thing standing at y: 0.2 at the horizon, 1 at the bottom. */
export function depth(ctx: Ctx, horizon: number, y: number): number {
  const t = (y - horizon) / Math.max(1, ctx.S - horizon);
  return 0.2 + 0.8 * Math.min(1, Math.max(0, t));
}

/** Fill from y0 to the bottom with a ground object. */
export function band(
  ctx: Ctx,
  y0: number,
  y1: number,
  object: ObjectName,
  material: MaterialName,
  color?: number,
): void {
  ctx.c.fill(
    rect(-1, y0, ctx.S + 2, y1 - y0),
    mat(ctx, object, "", material, color),
  );
}

/** A wavy-topped band (shorelines, snow slopes) from y0 to the bottom. */
export function wavyBand(
  ctx: Ctx,
  y0: number,
  amp: number,
  object: ObjectName,
  material: MaterialName,
  color?: number,
): void {
  const { S, rng } = ctx;
  const pts = [-1, S + 1];
  const tilt = rng.range(-1, 1) * amp;
  for (let x = -1; x <= S + 1; x += Math.max(2, S / 10)) {
    pts.push(x, y0 + tilt * (x / S - 0.5) * 2 + rng.range(-0.5, 0.5) * amp);
  }
  pts.push(S + 1, S + 1);
  ctx.c.fill(polygon(pts), mat(ctx, object, "", material, color));
}

/** A road or path receding to a vanishing point: a trapezoid from the bottom. */
export function recede(
  ctx: Ctx,
  horizon: number,
  vx: number,
  bottomW: number,
  topW: number,
  object: ObjectName,
  material: MaterialName,
  color?: number,
): void {
  const { S } = ctx;
  const bx = S / 2 + (vx - S / 2) * 0.3;
  ctx.c.fill(
    polygon([
      vx - topW / 2,
      horizon,
      vx + topW / 2,
      horizon,
      bx + bottomW / 2,
      S + 1,
      bx - bottomW / 2,
      S + 1,
    ]),
    mat(ctx, object, "", material, color),
  );
}

/** An indoor room's box: wall edges, floor line and ceiling. */
export interface Room {
  /** Back wall box. */
  left: number;
  right: number;
  top: number;
  /** Floor line at the back wall. */
  floor: number;
}

/** Floor, walls (back and sides, all "wall") and maybe a ceiling. */
export function room(
  ctx: Ctx,
  wallMat: MaterialName,
  floorMat: MaterialName,
  ceilingP: number,
): Room {
  const { S, rng, c } = ctx;
  const left = S * rng.range(-0.15, 0.25), right = S * rng.range(0.75, 1.15);
  const floor = S * rng.range(0.5, 0.72);
  const top = rng.chance(ceilingP) ? S * rng.range(0.06, 0.2) : -1;
  const m = rng.range(0.3, 0.9);
  c.clear(mat(ctx, "floor", "", floorMat));
  const wall = mat(ctx, "wall", "", wallMat);
  c.fill(
    polygon([
      -1,
      -1,
      S + 1,
      -1,
      S + 1,
      floor + (S - right) * m,
      right,
      floor,
      left,
      floor,
      -1,
      floor + left * m,
    ]),
    wall,
  );
  // Side walls: same object, darker, so the room reads as a box.
  const dark = { ...wall, tex: (x: number, y: number) => T.shade(wall.tex(x, y), 0.8) };
  if (left > 0) {
    c.fill(polygon([-1, -1, left, -1, left, floor, -1, floor + left * m]), dark);
  }
  if (right < S) {
    c.fill(
      polygon([right, -1, S + 1, -1, S + 1, floor + (S - right) * m, right, floor]),
      dark,
    );
  }
  if (top > 0) {
    c.fill(
      polygon([
        -1,
        -1,
        S + 1,
        -1,
        S + 1,
        top - (S - right) * m,
        right,
        top,
        left,
        top,
        -1,
        top - left * m,
      ]),
      mat(ctx, "ceiling", "", rng.pick<MaterialName>(["painted", "painted", "wood", "tile"])),
    );
  }
  return { left, right, top, floor };
}

/** Scale of furniture standing at y in a room: 0.55 at the wall, 1 at the bottom. */
export function roomDepth(ctx: Ctx, r: Room, y: number): number {
  const t = (y - r.floor) / Math.max(1, ctx.S - r.floor);
  return 0.55 + 0.45 * Math.min(1, Math.max(0, t));
}
