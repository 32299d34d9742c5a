/**
 * Buildings with door, window, roof, dome and steeple parts; plus fences,
 * piers and street lights (built structures without parts).
 */

import { ellipse, polygon, rect, union } from "../canvas.ts";
import * as T from "../textures.ts";
import type { MaterialName } from "../vocabulary.ts";
import { type Ctx, mat } from "./common.ts";

/** What a building may have and how likely. */
export interface BuildingOpts {
  /** Probability of each optional part. */
  door: number;
  dome: number;
  steeple: number;
  /** Window grid density 0..1 (0: none). */
  windows: number;
  /** Church-like arched doors and windows. */
  arched: boolean;
  /** Roof kind weights: gable, flat, none. */
  roof: [number, number, number];
  /** Window width as a fraction of the wall's width (default 0.08 to 0.16). */
  windowWidth?: [number, number];
  /** Grid pitch in window sizes (default 1.8 to 3); smaller packs windows closer. */
  windowPitch?: [number, number];
}

/** An ordinary house. */
export const HOUSE: BuildingOpts = {
  door: 0.7,
  dome: 0.03,
  steeple: 0.05,
  windows: 0.8,
  arched: false,
  roof: [3, 3, 1],
};

/** An arch: a rectangle topped by a half ellipse. */
function arch(x: number, y: number, w: number, h: number) {
  return union(
    rect(x, y + w / 2, w, h - w / 2),
    ellipse(x + w / 2, y + w / 2, w / 2, w / 2),
  );
}

/** A building whose wall box is centered at x, bottom at by, size w x h. */
export function building(
  ctx: Ctx,
  x: number,
  by: number,
  w: number,
  h: number,
  o: BuildingOpts,
): void {
  const { rng, c, u } = ctx;
  const left = x - w / 2, top = by - h;
  const wallMat = rng.pick<MaterialName>(["brick", "stone", "painted"]);
  const hasDome = rng.chance(o.dome);
  const hasSteeple = !hasDome && rng.chance(o.steeple);
  const roofKind = hasDome ? 1 : rng.weighted(o.roof);

  // Steeple: a tower with a spire, beside or on the building, drawn first so
  // the main wall overlaps its base.
  if (hasSteeple) {
    const tw = w * rng.range(0.18, 0.3);
    const tx = rng.chance(0.5) ? x - tw / 2 : left + rng.range(0, 1) * (w - tw);
    const towerTop = top - h * rng.range(0.2, 0.6);
    const spireTop = towerTop - tw * rng.range(1.2, 2.2);
    c.fill(
      rect(tx, towerTop, tw, by - towerTop),
      mat(ctx, "building", "steeple", wallMat),
    );
    c.fill(
      polygon([tx - u * 0.5, towerTop, tx + tw / 2, spireTop, tx + tw + u * 0.5, towerTop]),
      mat(ctx, "building", "steeple", "metal", T.jitter(rng, 0x50606a), spireTop, towerTop),
    );
    if (tw > 3 * u) {
      c.fill(
        arch(tx + tw * 0.3, towerTop + tw * 0.3, tw * 0.4, tw * 0.7),
        mat(ctx, "building", "steeple", "glass", 0x303840),
      );
    }
  }
  if (hasDome) {
    const rx = w * rng.range(0.2, 0.42), ry = rx * rng.range(0.7, 1.1);
    const dc = T.jitter(rng, rng.pick([0x4a8a7a, 0xc8a040, 0x8a9098, 0xb0553a]));
    c.fill(
      ellipse(x, top, rx, ry),
      mat(ctx, "building", "dome", "metal", dc, top - ry, top),
    );
    c.fill(
      rect(x - u * 0.5, top - ry - 2.5 * u, u, 2.5 * u),
      mat(ctx, "building", "dome", "metal", 0x706850),
    );
  }
  if (roofKind === 0) {
    const rh = w * rng.range(0.25, 0.45), ov = w * 0.06;
    c.fill(
      polygon([left - ov, top + 0.5, x, top - rh, left + w + ov, top + 0.5]),
      mat(
        ctx,
        "building",
        "roof",
        rng.pick<MaterialName>(["tile", "wood", "metal"]),
        T.jitter(rng, rng.pick([0x8a3a2a, 0x4a4a52, 0x6a4a3a, 0x3a5a6a])),
      ),
    );
  } else if (roofKind === 1) {
    const rh = Math.max(u, h * 0.06);
    c.fill(
      rect(left - u * 0.5, top - rh, w + u, rh),
      mat(ctx, "building", "roof", "metal", T.jitter(rng, 0x505058)),
    );
  }
  c.fill(rect(left, top, w, h), mat(ctx, "building", "", wallMat));

  // Windows on a grid, leaving the bottom center for a door.
  const hasDoor = rng.chance(o.door);
  const dw = Math.max(u * 1.5, w * rng.range(0.14, 0.26));
  const dh = Math.min(h * 0.8, Math.max(2.5 * u, dw * rng.range(1.5, 2.2)));
  const dx = o.arched || rng.chance(0.5) ? x - dw / 2 : left + rng.range(0.05, 0.95) * (w - dw);
  if (o.windows > 0 && rng.chance(o.windows)) {
    const [wlo, whi] = o.windowWidth ?? [0.08, 0.16], [plo, phi] = o.windowPitch ?? [1.8, 3];
    const ww = Math.max(u, w * rng.range(wlo, whi));
    const wh = ww * rng.range(1, 1.8);
    const cols = Math.max(1, Math.floor(w / (ww * rng.range(plo, phi))));
    const rows = Math.max(1, Math.floor(h / (wh * rng.range(plo, phi))));
    const gx = w / cols, gy = h / rows;
    const wc = T.jitter(rng, rng.pick([0x8fb8d8, 0x304050, 0xd8c890, 0x6f97b5]), 8);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < rows; j++) {
        const wx = left + gx * (i + 0.5) - ww / 2, wy = top + gy * (j + 0.35) - wh / 2;
        if (hasDoor && wy + wh > by - dh - u && wx + ww > dx - u && wx < dx + dw + u) continue;
        if (rng.chance(0.1)) continue;
        const shape = o.arched ? arch(wx, wy, ww, wh) : rect(wx, wy, ww, wh);
        c.fill(shape, mat(ctx, "building", "window", "glass", wc));
      }
    }
  }
  if (hasDoor) {
    const shape = o.arched ? arch(dx, by - dh, dw, dh) : rect(dx, by - dh, dw, dh);
    const dc = T.jitter(rng, rng.pick([0x5a3a22, 0x7a4a2a, 0x3a2a1a, 0x8a2a2a, 0x2a3a5a]));
    c.fill(shape, mat(ctx, "building", "door", "wood", dc));
  }
}

/** A picket or rail fence from x0 to x1 standing on by, height h. */
export function fence(ctx: Ctx, x0: number, x1: number, by: number, h: number): void {
  const { rng, c, u } = ctx;
  const m = rng.pick<MaterialName>(["wood", "metal"]);
  const col = m === "wood"
    ? T.jitter(rng, rng.pick([0xe8e4dc, 0x8a6a48, 0x6a4a30]))
    : T.jitter(rng, 0x404448);
  const gap = Math.max(1.5 * u, h * rng.range(0.3, 0.6));
  const pw = Math.max(0.8, gap * 0.4);
  const shapes = [
    rect(x0, by - h * 0.8, x1 - x0, Math.max(1, h * 0.12)),
    rect(x0, by - h * 0.35, x1 - x0, Math.max(1, h * 0.12)),
  ];
  for (let x = x0; x < x1; x += gap) shapes.push(rect(x, by - h, pw, h));
  c.fill(union(...shapes), mat(ctx, "fence", "", m, col));
}

/** A wooden pier over water: deck from x0 to x1 at deck y, with posts. */
export function pier(ctx: Ctx, x0: number, x1: number, y: number, th: number): void {
  const { rng, c, u } = ctx;
  const col = T.jitter(rng, 0x7a5a3a);
  const shapes = [rect(x0, y - th, x1 - x0, th)];
  for (let x = x0 + u; x < x1; x += Math.max(3 * u, (x1 - x0) / 5)) {
    shapes.push(rect(x, y, Math.max(1, u), th * 1.5));
  }
  c.fill(union(...shapes), mat(ctx, "pier", "", "wood", col));
}

/** A street light pole at (x, by) of height h with a lamp arm. */
export function streetlight(ctx: Ctx, x: number, by: number, h: number): void {
  const { rng, c, u } = ctx;
  const pw = Math.max(1, h * 0.04);
  const dir = rng.chance(0.5) ? 1 : -1;
  const arm = h * 0.22;
  const col = T.jitter(rng, rng.pick([0x303438, 0x4a5a4a, 0x70747a]));
  c.fill(
    union(
      rect(x - pw / 2, by - h, pw, h),
      rect(dir > 0 ? x : x - arm, by - h, arm, pw),
      ellipse(x + dir * arm, by - h + pw * 1.5, Math.max(u, arm * 0.3), Math.max(0.8, pw * 1.2)),
    ),
    mat(ctx, "streetlight", "", "metal", col),
  );
}
