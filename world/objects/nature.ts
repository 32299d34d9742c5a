/**
 * Sky, clouds, mountains (with snow caps), trees and rocks.
 */

import { ellipse, intersect, polygon, rect, union } from "../canvas.ts";
import * as T from "../textures.ts";
import { type Ctx, mat, paint } from "./common.ts";

/** Sky fills the whole canvas; later layers paint over it. */
export function sky(ctx: Ctx, horizon: number): void {
  const { rng } = ctx;
  const kind = rng.weighted([6, 2, 1.5, 1]); // clear, hazy, dusk, overcast
  const tops = [0x3a78c8, 0x6f9fd0, 0x3c4a8a, 0x8a9099];
  const bottoms = [0xa8cdf0, 0xc8d8e6, 0xf0a060, 0xb8bcc0];
  const top = T.jitter(rng, tops[kind], 10);
  const bottom = T.jitter(rng, bottoms[kind], 10);
  ctx.c.clear(
    paint("sky", "", "none", T.vgradient(top, bottom, 0, horizon, 2, rng.u32())),
  );
}

/** n clouds above yMax. */
export function clouds(ctx: Ctx, n: number, yMax: number): void {
  const { rng, S } = ctx;
  for (let k = 0; k < n; k++) {
    const cx = rng.range(-0.1, 1.1) * S, cy = rng.range(0.04, 1) * yMax;
    const w = rng.range(0.1, 0.3) * S;
    const parts = [];
    const blobs = rng.int(2, 5);
    for (let i = 0; i < blobs; i++) {
      const bx = cx + rng.range(-0.5, 0.5) * w;
      const rx = rng.range(0.25, 0.5) * w;
      parts.push(ellipse(bx, cy - rng.range(0, 0.2) * w, rx, rx * 0.55));
    }
    const c = T.jitter(rng, rng.pick([0xf8f8f8, 0xe8ecf0, 0xc8ccd4]), 6);
    ctx.c.fill(
      union(...parts),
      paint("cloud", "", "none", T.blotchy(c, 0.12, 4 * ctx.u, rng.u32(), 2)),
    );
  }
}

/** A mountain range whose base sits at baseY; returns the highest peak y. */
export function mountains(
  ctx: Ctx,
  baseY: number,
  height: number,
  snowP: number,
): number {
  const { rng, S } = ctx;
  const pts: number[] = [-2, baseY + 1];
  let x = -rng.range(0, 0.2) * S;
  let minY = baseY;
  while (x < S + 2) {
    const y = baseY - height * rng.range(0.35, 1);
    pts.push(x, y);
    minY = Math.min(minY, y);
    x += rng.range(0.12, 0.35) * S;
    pts.push(x, baseY - height * rng.range(0.1, 0.45));
    x += rng.range(0.08, 0.25) * S;
  }
  pts.push(S + 2, baseY + 1);
  const body = polygon(pts);
  const color = T.jitter(rng, rng.pick([0x7a8290, 0x6a7080, 0x8a7a6a, 0x5a6a5a]));
  ctx.c.fill(body, mat(ctx, "mountain", "", "stone", color));
  if (rng.chance(snowP)) {
    // A jagged snow line cut across the range, so caps follow the peaks.
    const line = minY + height * rng.range(0.2, 0.55);
    const cut: number[] = [-2, -2, S + 2, -2];
    for (let sx = S + 2; sx >= -2; sx -= 2 * ctx.u) {
      cut.push(sx, line + rng.range(-1.5, 1.5) * ctx.u);
    }
    ctx.c.fill(intersect(body, polygon(cut)), mat(ctx, "snow", "", "snow"));
  }
  return minY;
}

/** The two tree shapes. */
export type TreeKind = "round" | "pine";

/** A tree standing at (x, by) with total height h. */
export function tree(
  ctx: Ctx,
  x: number,
  by: number,
  h: number,
  kind: TreeKind,
  autumn = false,
): void {
  const { rng } = ctx;
  const tw = Math.max(1, h * rng.range(0.07, 0.12));
  const trunkH = kind === "pine" ? h * 0.22 : h * rng.range(0.4, 0.55);
  ctx.c.fill(
    rect(x - tw / 2, by - trunkH, tw, trunkH + 0.5),
    mat(ctx, "tree", "trunk", "wood", T.jitter(rng, 0x5a3a22, 10)),
  );
  const leaf = autumn ? T.jitter(rng, rng.pick([0xc8702a, 0xd8a030, 0xa84a2a]), 12) : undefined;
  if (kind === "pine") {
    const w = h * rng.range(0.22, 0.32);
    const tiers = rng.int(2, 3);
    const shapes = [];
    for (let i = 0; i < tiers; i++) {
      const top = by - h + i * (h * 0.78) / (tiers + 1);
      const bot = by - trunkH * 0.6 - (tiers - 1 - i) * h * 0.12;
      const ww = w * (0.6 + 0.4 * (i + 1) / tiers);
      shapes.push(polygon([x, top, x + ww, bot, x - ww, bot]));
    }
    ctx.c.fill(union(...shapes), mat(ctx, "tree", "crown", "foliage", leaf));
  } else {
    const rx = h * rng.range(0.25, 0.4), ry = h * rng.range(0.28, 0.36);
    const cy = by - h + ry;
    const shapes = [ellipse(x, cy, rx, ry)];
    for (let i = rng.int(0, 2); i > 0; i--) {
      shapes.push(
        ellipse(
          x + rng.range(-0.6, 0.6) * rx,
          cy + rng.range(-0.2, 0.4) * ry,
          rx * rng.range(0.5, 0.8),
          ry * rng.range(0.5, 0.8),
        ),
      );
    }
    ctx.c.fill(union(...shapes), mat(ctx, "tree", "crown", "foliage", leaf));
  }
}

// Unit octagon directions; avoids trig so output is bit-exact everywhere.
const OCT = [1, 0, 0.7071, -0.7071, 0, -1, -0.7071, -0.7071, -1, 0];

/** A rock: an irregular flat-bottomed blob resting at (x, by), width w. */
export function rock(ctx: Ctx, x: number, by: number, w: number): void {
  const { rng } = ctx;
  const h = w * rng.range(0.4, 0.8);
  const pts: number[] = [];
  for (let i = 0; i < OCT.length; i += 2) {
    const r = rng.range(0.75, 1);
    pts.push(x + OCT[i] * r * w / 2, by + OCT[i + 1] * r * h);
  }
  const c = T.jitter(rng, rng.pick([0x8a8580, 0x6a6560, 0x9a9085]));
  ctx.c.fill(polygon(pts), mat(ctx, "rock", "", "stone", c));
}
