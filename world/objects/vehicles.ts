/**
 * Cars, boats and airplanes, drawn in side view (airplanes also from below
 * when flying). `dir` mirrors the drawing horizontally.
 */

import { ellipse, polygon, rect, union } from "../canvas.ts";
import * as T from "../textures.ts";
import type { MaterialName } from "../vocabulary.ts";
import { type Ctx, mat } from "./common.ts";

const CAR_COLORS = [0xc02828, 0x2850a8, 0xe8e8e8, 0x202020, 0x909498, 0xd8b020, 0x2a7a3a];

/** Mirror helper: x coordinate at offset t from the center along dir. */
function mx(x: number, dir: number, t: number): number {
  return x + dir * t;
}

/** A car whose wheels touch by, centered at x, length w. */
export function car(ctx: Ctx, x: number, by: number, w: number, dir: number): void {
  const { rng, c, u } = ctx;
  const r = w * 0.11;
  const bodyTop = by - r - w * rng.range(0.16, 0.22);
  const bodyBot = by - r * 0.6;
  const roof = bodyTop - w * rng.range(0.14, 0.2);
  const paintColor = T.jitter(rng, rng.pick(CAR_COLORS), 10);
  // Cabin first; the body overlaps its lower edge.
  const rear = rng.range(0.28, 0.4), front = rng.range(0.1, 0.22);
  c.fill(
    polygon([
      mx(x, dir, -w * (rear + 0.08)),
      bodyTop + 0.5,
      mx(x, dir, -w * rear),
      roof,
      mx(x, dir, w * front),
      roof,
      mx(x, dir, w * (front + 0.14)),
      bodyTop + 0.5,
    ]),
    mat(ctx, "car", "", "metal", paintColor, roof, bodyBot),
  );
  // Side window (glass, no part) and windshield (front glass).
  const inset = Math.max(0.6, w * 0.025);
  c.fill(
    polygon([
      mx(x, dir, -w * (rear + 0.04)),
      bodyTop,
      mx(x, dir, -w * rear + inset),
      roof + inset,
      mx(x, dir, w * front - inset),
      roof + inset,
      mx(x, dir, w * front - inset),
      bodyTop,
    ]),
    mat(ctx, "car", "", "glass", 0x405060),
  );
  c.fill(
    polygon([
      mx(x, dir, w * front),
      roof + inset,
      mx(x, dir, w * (front + 0.12)),
      bodyTop,
      mx(x, dir, w * front),
      bodyTop,
    ]),
    mat(ctx, "car", "windshield", "glass", 0x7090a8),
  );
  c.fill(
    rect(x - w / 2, bodyTop, w, bodyBot - bodyTop),
    mat(ctx, "car", "", "metal", paintColor, roof, bodyBot),
  );
  const hl = Math.max(1, w * 0.05);
  c.fill(
    rect(dir > 0 ? x + w / 2 - hl : x - w / 2, bodyTop + hl * 0.4, hl, hl * 0.8),
    mat(ctx, "car", "headlight", "glass", 0xf0e8b0),
  );
  for (const t of [-0.3, 0.3]) {
    c.fill(ellipse(x + t * w, by - r, r, r), mat(ctx, "car", "wheel", "rubber"));
    if (r > 1.5 * u) {
      c.fill(
        ellipse(x + t * w, by - r, r * 0.45, r * 0.45),
        mat(ctx, "car", "wheel", "metal", 0xa0a4a8),
      );
    }
  }
}

/** A boat floating with its waterline at wy, centered at x, length w. */
export function boat(ctx: Ctx, x: number, wy: number, w: number, dir: number): void {
  const { rng, c, u } = ctx;
  const hullH = w * rng.range(0.14, 0.22);
  const deck = wy - hullH * 0.7;
  const hullMat = rng.pick<MaterialName>(["wood", "painted", "metal"]);
  const hc = T.jitter(rng, rng.pick([0xe8e8e8, 0x2a4a8a, 0xb03030, 0x7a5a3a, 0x303030]));
  const sail = rng.chance(0.45);
  if (sail) {
    const mh = w * rng.range(0.8, 1.2);
    const mxp = mx(x, dir, -w * 0.05);
    c.fill(
      rect(mxp - Math.max(0.5, u * 0.4), deck - mh, Math.max(1, u * 0.8), mh),
      mat(ctx, "boat", "", "wood", 0x6a5040),
    );
    const sc = T.jitter(rng, rng.pick([0xf4f4f0, 0xf0e8d8, 0xe8c8a8]), 6);
    c.fill(
      polygon([mxp + dir * u, deck - mh, mxp + dir * u, deck - u, mx(x, dir, w * 0.38), deck - u]),
      mat(ctx, "boat", "sail", "fabric", sc),
    );
    if (rng.chance(0.6)) {
      c.fill(
        polygon([
          mxp - dir * u,
          deck - mh * 0.85,
          mxp - dir * u,
          deck - u,
          mx(x, dir, -w * 0.35),
          deck - u,
        ]),
        mat(ctx, "boat", "sail", "fabric", sc),
      );
    }
  } else {
    const cw = w * rng.range(0.3, 0.5), ch = w * rng.range(0.12, 0.2);
    const cx = mx(x, dir, -w * rng.range(0, 0.15));
    c.fill(
      rect(cx - cw / 2, deck - ch, cw, ch + 0.5),
      mat(ctx, "boat", "cabin", "painted", T.jitter(rng, 0xe8e8e0)),
    );
    c.fill(
      rect(cx - cw * 0.4, deck - ch * 0.8, cw * 0.8, ch * 0.35),
      mat(ctx, "boat", "cabin", "glass", 0x304050),
    );
  }
  c.fill(
    polygon([
      mx(x, dir, -w / 2),
      deck,
      mx(x, dir, w / 2),
      deck - hullH * 0.2,
      mx(x, dir, w * 0.32),
      wy + hullH * 0.3,
      mx(x, dir, -w * 0.44),
      wy + hullH * 0.3,
    ]),
    mat(ctx, "boat", "hull", hullMat, hc),
  );
}

/** An airplane in side view centered at (x, cy), length w. */
export function airplaneSide(
  ctx: Ctx,
  x: number,
  cy: number,
  w: number,
  dir: number,
  gear: boolean,
): void {
  const { rng, c, u } = ctx;
  const fh = w * rng.range(0.1, 0.14);
  const body = T.jitter(rng, rng.pick([0xf0f0f0, 0xd8dce0, 0xb0b8c0]), 6);
  const accent = T.jitter(rng, rng.pick([0xc02020, 0x2040a0, 0x208060, 0x303030]));
  if (gear) {
    for (const t of [-0.25, 0.05, 0.3]) {
      c.fill(
        rect(x + dir * t * w - u * 0.5, cy, Math.max(1, u), fh * 0.9),
        mat(ctx, "airplane", "", "rubber", 0x202020),
      );
    }
  }
  // Tail fin at the rear, rising above the fuselage.
  c.fill(
    polygon([
      mx(x, dir, -w * 0.5),
      cy - fh * 0.3,
      mx(x, dir, -w * 0.48),
      cy - fh * 2.4,
      mx(x, dir, -w * 0.38),
      cy - fh * 2.4,
      mx(x, dir, -w * 0.25),
      cy - fh * 0.3,
    ]),
    mat(ctx, "airplane", "tail", "metal", accent),
  );
  c.fill(
    union(
      ellipse(x, cy, w * 0.5, fh / 2),
      rect(x - w * 0.3, cy - fh / 2, w * 0.6, fh),
    ),
    mat(ctx, "airplane", "", "metal", body, cy - fh / 2, cy + fh / 2),
  );
  if (fh > 3 * u) {
    for (let t = -0.3; t < 0.35; t += 0.07) {
      c.fill(
        rect(x + dir * t * w, cy - fh * 0.25, Math.max(0.8, u * 0.6), Math.max(0.8, fh * 0.18)),
        mat(ctx, "airplane", "", "glass", 0x304050),
      );
    }
  }
  // Wing seen edge-on, slanting back, with an engine beneath.
  c.fill(
    polygon([
      mx(x, dir, w * 0.12),
      cy + fh * 0.1,
      mx(x, dir, -w * 0.08),
      cy + fh * 0.55,
      mx(x, dir, -w * 0.2),
      cy + fh * 0.55,
      mx(x, dir, -w * 0.02),
      cy + fh * 0.1,
    ]),
    mat(ctx, "airplane", "wing", "metal", T.shade(body, 0.8)),
  );
  c.fill(
    ellipse(mx(x, dir, w * 0.05), cy + fh * 0.75, w * 0.08, fh * 0.3),
    mat(ctx, "airplane", "engine", "metal", T.shade(body, 0.65)),
  );
}

/** A flying airplane seen from below: fuselage, swept wings, tail plane. */
export function airplaneBelow(ctx: Ctx, x: number, cy: number, w: number, dir: number): void {
  const { rng, c } = ctx;
  const fw = w * 0.08;
  const col = T.jitter(rng, rng.pick([0xe0e0e0, 0xb8bcc0, 0x808890]), 6);
  const span = w * rng.range(0.8, 1);
  c.fill(
    polygon([
      mx(x, dir, w * 0.05),
      cy - fw * 0.3,
      mx(x, dir, -w * 0.12),
      cy - span / 2,
      mx(x, dir, -w * 0.2),
      cy - span / 2,
      mx(x, dir, -w * 0.1),
      cy,
      mx(x, dir, -w * 0.2),
      cy + span / 2,
      mx(x, dir, -w * 0.12),
      cy + span / 2,
      mx(x, dir, w * 0.05),
      cy + fw * 0.3,
    ]),
    mat(ctx, "airplane", "wing", "metal", T.shade(col, 0.9)),
  );
  c.fill(
    polygon([
      mx(x, dir, -w * 0.38),
      cy,
      mx(x, dir, -w * 0.48),
      cy - span * 0.2,
      mx(x, dir, -w * 0.5),
      cy,
      mx(x, dir, -w * 0.48),
      cy + span * 0.2,
    ]),
    mat(ctx, "airplane", "tail", "metal", T.shade(col, 0.9)),
  );
  c.fill(ellipse(x, cy, w * 0.5, fw / 2), mat(ctx, "airplane", "", "metal", col));
  for (const s of [-1, 1]) {
    c.fill(
      ellipse(mx(x, dir, -w * 0.05), cy + s * span * 0.22, w * 0.06, fw * 0.35),
      mat(ctx, "airplane", "engine", "metal", T.shade(col, 0.6)),
    );
  }
}

/** A person standing at (x, by), height h. */
export function person(ctx: Ctx, x: number, by: number, h: number): void {
  const { rng, c, u } = ctx;
  const sw = h * rng.range(0.22, 0.3);
  const headR = h * 0.09;
  const torsoTop = by - h + 2 * headR * 0.95;
  const legTop = by - h * rng.range(0.42, 0.5);
  const skin = T.jitter(rng, rng.pick([0xe8b898, 0xc08a68, 0x8a5a3c, 0xf0c8a8]), 8);
  const shirt = T.jitter(
    rng,
    rng.pick([0xc02828, 0x2850a8, 0xe8e8e8, 0x303030, 0xd8b020, 0x2a7a3a, 0xd86aa0]),
    12,
  );
  const pants = T.jitter(rng, rng.pick([0x283858, 0x303030, 0x6a5a48, 0x8a8a80]), 8);
  const lw = sw * 0.42;
  const gap = Math.max(0.5, sw * 0.1);
  c.fill(
    union(
      rect(x - gap / 2 - lw, legTop, lw, by - legTop),
      rect(x + gap / 2, legTop, lw, by - legTop),
    ),
    mat(ctx, "person", "legs", "fabric", pants),
  );
  c.fill(
    union(
      rect(x - sw / 2, torsoTop, sw, legTop - torsoTop + 0.5),
      rect(
        x - sw / 2 - Math.max(0.8, sw * 0.18),
        torsoTop + u * 0.3,
        Math.max(0.8, sw * 0.18),
        (legTop - torsoTop) * 0.9,
      ),
      rect(x + sw / 2, torsoTop + u * 0.3, Math.max(0.8, sw * 0.18), (legTop - torsoTop) * 0.9),
    ),
    mat(ctx, "person", "torso", "fabric", shirt),
  );
  const hy = by - h + headR;
  c.fill(ellipse(x, hy, headR * 0.9, headR), mat(ctx, "person", "head", "skin", skin));
  const hair = T.jitter(rng, rng.pick([0x2a1a10, 0x5a3a20, 0xc8a060, 0x101010]), 6);
  c.fill(
    ellipse(x, hy - headR * 0.45, headR * 0.95, headR * 0.6),
    mat(ctx, "person", "head", "none", hair),
  );
}
