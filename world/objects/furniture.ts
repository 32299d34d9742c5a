/**
 * Indoor objects: beds, tables, chairs, sofas, lamps, cabinets, ovens,
 * paintings, windows, rugs and potted plants. Positions: x is the center,
 * by the floor contact line (or the bottom edge for wall-mounted things).
 */

import { ellipse, polygon, rect, union } from "../canvas.ts";
import * as T from "../textures.ts";
import type { MaterialName } from "../vocabulary.ts";
import { type Ctx, mat } from "./common.ts";

const FABRICS = [0xc23b3b, 0x3b5fc2, 0xe0d8c8, 0x4f9a55, 0xd8a040, 0x7a4fa0, 0x8a8a8a, 0x5a4a3a];

function side(ctx: Ctx): number {
  return ctx.rng.chance(0.5) ? 1 : -1;
}

/** A bed of length w in side view, headboard at one end. */
export function bed(ctx: Ctx, x: number, by: number, w: number): void {
  const { rng, c, u } = ctx;
  const d = side(ctx);
  const legH = w * 0.06, mattH = w * rng.range(0.14, 0.2);
  const top = by - legH - mattH;
  const wood = T.jitter(rng, rng.pick([0x6a4a30, 0x8a6a48, 0xe8e0d8, 0x3a2a20]));
  const hx = d > 0 ? x + w / 2 - w * 0.06 : x - w / 2;
  const hh = w * rng.range(0.35, 0.5);
  c.fill(
    union(rect(hx, by - hh, w * 0.06, hh), rect(x - w / 2, by - legH, w * 0.05, legH)),
    mat(ctx, "bed", "headboard", "wood", wood),
  );
  c.fill(rect(x - w / 2, top, w * 0.94, mattH), mat(ctx, "bed", "", "fabric", 0xf0f0ec));
  const blanket = T.jitter(rng, rng.pick(FABRICS), 12);
  const bw = w * rng.range(0.55, 0.75);
  const bx = d > 0 ? x - w / 2 - u * 0.3 : x + w / 2 - w * 0.06 - bw;
  c.fill(
    rect(bx, top - u * 0.5, bw + u * 0.3, mattH * rng.range(0.8, 1.1) + u * 0.5),
    mat(ctx, "bed", "blanket", "fabric", blanket),
  );
  const px = d > 0 ? x + w * 0.3 : x - w * 0.3;
  c.fill(
    ellipse(px, top - mattH * 0.2, w * 0.12, mattH * 0.45),
    mat(ctx, "bed", "pillow", "fabric", T.jitter(rng, 0xf4f4f0, 6)),
  );
}

/** A table of width w and height h. */
export function table(ctx: Ctx, x: number, by: number, w: number, h: number): void {
  const { rng, c, u } = ctx;
  const m = rng.pick<MaterialName>(["wood", "wood", "metal", "stone"]);
  const col = m === "wood" ? T.jitter(rng, rng.pick([0x8a5a2b, 0x6a4a30, 0xb08050])) : undefined;
  const th = Math.max(u, h * 0.12), lw = Math.max(1, w * 0.06);
  c.fill(
    union(rect(x - w * 0.42, by - h, lw, h), rect(x + w * 0.42 - lw, by - h, lw, h)),
    mat(ctx, "table", "table_leg", m, col),
  );
  c.fill(rect(x - w / 2, by - h, w, th), mat(ctx, "table", "tabletop", m, col));
}

/** A chair in side view, seat height ~0.5 h. */
export function chair(ctx: Ctx, x: number, by: number, h: number): void {
  const { rng, c } = ctx;
  const d = side(ctx);
  const w = h * rng.range(0.4, 0.5);
  const seatY = by - h * rng.range(0.45, 0.52), st = Math.max(1, h * 0.07);
  const m = rng.pick<MaterialName>(["wood", "wood", "metal", "plastic"]);
  const col = T.jitter(rng, rng.pick([0x8a5a2b, 0x5a3a22, 0x404040, 0xc04040, 0xe0e0e0]));
  const lw = Math.max(1, w * 0.12);
  c.fill(
    union(rect(x - w / 2, seatY, lw, by - seatY), rect(x + w / 2 - lw, seatY, lw, by - seatY)),
    mat(ctx, "chair", "chair_leg", m, col),
  );
  const bx = d > 0 ? x - w / 2 : x + w / 2 - lw;
  c.fill(rect(bx, by - h, lw, h - (by - seatY)), mat(ctx, "chair", "chair_back", m, col));
  const seatMat = rng.chance(0.3) ? "fabric" : m;
  c.fill(rect(x - w / 2, seatY, w, st), mat(ctx, "chair", "seat", seatMat, col));
}

/** A sofa of length w: back, seat cushions, armrests at both ends. */
export function sofa(ctx: Ctx, x: number, by: number, w: number): void {
  const { rng, c } = ctx;
  const col = T.jitter(rng, rng.pick(FABRICS), 12);
  const h = w * rng.range(0.38, 0.5);
  const seatY = by - h * 0.5, legH = h * 0.08;
  c.fill(
    rect(x - w * 0.45, by - h, w * 0.9, h - legH),
    mat(ctx, "sofa", "", "fabric", T.shade(col, 0.85)),
  );
  const n = rng.int(2, 3), aw = w * 0.1;
  const cw = (w - 2 * aw) / n;
  for (let i = 0; i < n; i++) {
    c.fill(
      rect(x - w / 2 + aw + i * cw + 0.3, seatY, cw - 0.6, (by - legH - seatY) * 0.5),
      mat(ctx, "sofa", "cushion", "fabric", col),
    );
  }
  c.fill(
    rect(x - w / 2 + aw, seatY + (by - legH - seatY) * 0.5, w - 2 * aw, (by - legH - seatY) * 0.5),
    mat(ctx, "sofa", "", "fabric", T.shade(col, 0.8)),
  );
  for (const s of [-1, 1]) {
    const ax = s < 0 ? x - w / 2 : x + w / 2 - aw;
    c.fill(
      rect(ax, by - h * 0.68, aw, h * 0.68 - legH),
      mat(ctx, "sofa", "armrest", "fabric", T.shade(col, 0.95)),
    );
  }
  c.fill(
    union(
      rect(x - w * 0.45, by - legH, w * 0.05, legH),
      rect(x + w * 0.4, by - legH, w * 0.05, legH),
    ),
    mat(ctx, "sofa", "", "wood", 0x3a2a1a),
  );
}

/** A floor or table lamp standing on by, height h. */
export function lamp(ctx: Ctx, x: number, by: number, h: number): void {
  const { rng, c } = ctx;
  const shadeH = h * rng.range(0.22, 0.32), sw = shadeH * rng.range(1, 1.5);
  const bcol = T.jitter(rng, rng.pick([0x303030, 0xb09050, 0xa0a4a8]));
  const pw = Math.max(1, h * 0.04);
  c.fill(
    union(
      rect(x - pw / 2, by - h + shadeH, pw, h - shadeH),
      rect(x - sw * 0.35, by - Math.max(1, h * 0.05), sw * 0.7, Math.max(1, h * 0.05)),
    ),
    mat(ctx, "lamp", "lamp_base", "metal", bcol),
  );
  const scol = T.jitter(rng, rng.pick([0xf0e8d0, 0xe8d8b0, 0xf8f0e0, 0xd8c8a0]), 6);
  c.fill(
    polygon([
      x - sw * 0.3,
      by - h,
      x + sw * 0.3,
      by - h,
      x + sw / 2,
      by - h + shadeH,
      x - sw / 2,
      by - h + shadeH,
    ]),
    mat(ctx, "lamp", "lampshade", "fabric", scol),
  );
}

/** A ceiling lamp hanging from y0 down to y1. */
export function hangingLamp(ctx: Ctx, x: number, y0: number, y1: number, w: number): void {
  const { rng, c } = ctx;
  c.fill(rect(x - 0.5, y0, 1, y1 - y0), mat(ctx, "lamp", "lamp_base", "metal", 0x303030));
  c.fill(
    polygon([
      x - w * 0.15,
      y1 - w * 0.35,
      x + w * 0.15,
      y1 - w * 0.35,
      x + w / 2,
      y1,
      x - w / 2,
      y1,
    ]),
    mat(ctx, "lamp", "lampshade", "metal", T.jitter(rng, rng.pick([0x404448, 0xe0e0d8, 0x3a6a5a]))),
  );
}

/** A cabinet w x h with drawers or doors and handles. */
export function cabinet(
  ctx: Ctx,
  x: number,
  by: number,
  w: number,
  h: number,
  counter = false,
): void {
  const { rng, c, u } = ctx;
  const m = rng.pick<MaterialName>(["wood", "painted"]);
  const col = T.jitter(
    rng,
    rng.pick(
      m === "wood" ? [0x8a5a2b, 0x6a4a30, 0xb08050] : [0xf0f0ec, 0x8aa0b0, 0x5a6a5a, 0xe0d0b0],
    ),
  );
  c.fill(rect(x - w / 2, by - h, w, h), mat(ctx, "cabinet", "", m, col));
  const cols = Math.max(1, Math.round(w / (h * rng.range(0.5, 1))));
  const rows = rng.int(1, 3);
  const gx = w / cols, gy = h / rows, g = Math.max(0.6, u * 0.5);
  const handle = T.jitter(rng, rng.pick([0xc0c4c8, 0x303030, 0xb09050]), 6);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < rows; j++) {
      const dx = x - w / 2 + i * gx + g, dy = by - h + j * gy + g;
      c.fill(
        rect(dx, dy, gx - 2 * g, gy - 2 * g),
        mat(ctx, "cabinet", "drawer", m, T.shade(col, 0.92)),
      );
      const hw = Math.max(1, gx * 0.25);
      c.fill(
        rect(dx + (gx - hw) / 2 - g, dy + g, hw, Math.max(0.8, u * 0.6)),
        mat(ctx, "cabinet", "handle", "metal", handle),
      );
    }
  }
  if (counter) {
    c.fill(
      rect(x - w / 2 - u * 0.3, by - h - Math.max(1, u), w + u * 0.6, Math.max(1, u)),
      mat(ctx, "cabinet", "", "stone", T.jitter(rng, rng.pick([0x303030, 0xe0ddd8, 0x8a8580]))),
    );
  }
}

/** A kitchen oven w x h: stovetop on top, door with a window. */
export function oven(ctx: Ctx, x: number, by: number, w: number, h: number): void {
  const { rng, c, u } = ctx;
  const col = T.jitter(rng, rng.pick([0xe8e8e8, 0xb0b4b8, 0x303234]), 6);
  c.fill(rect(x - w / 2, by - h, w, h), mat(ctx, "oven", "", "metal", col, by - h, by));
  const st = Math.max(1, h * 0.12);
  c.fill(
    rect(x - w / 2, by - h - st * 0.5, w, st),
    mat(ctx, "oven", "stovetop", "metal", 0x202020),
  );
  const dy = by - h + st * 1.8, dh = h * 0.62;
  c.fill(
    rect(x - w * 0.42, dy, w * 0.84, dh),
    mat(ctx, "oven", "oven_door", "metal", T.shade(col, 0.9), dy, dy + dh),
  );
  c.fill(
    rect(x - w * 0.3, dy + dh * 0.25, w * 0.6, dh * 0.45),
    mat(ctx, "oven", "oven_door", "glass", 0x202428),
  );
  c.fill(
    rect(x - w * 0.3, dy + u * 0.4, w * 0.6, Math.max(0.8, u * 0.5)),
    mat(ctx, "oven", "oven_door", "metal", 0xc0c0c0),
  );
}

/** A framed painting on a wall, top-left corner (x, y). */
export function painting(ctx: Ctx, x: number, y: number, w: number, h: number): void {
  const { rng, c } = ctx;
  const fcol = T.jitter(rng, rng.pick([0xb08a40, 0x3a2a1a, 0x202020, 0xe8e8e8]));
  const fw = Math.max(1, Math.min(w, h) * 0.1);
  c.fill(rect(x, y, w, h), mat(ctx, "painting", "picture_frame", "wood", fcol));
  const ix = x + fw, iy = y + fw, iw = w - 2 * fw, ih = h - 2 * fw;
  // Canvas content: an abstract landscape or color fields.
  const a = T.jitter(rng, rng.pick([0x6a9ad0, 0xe0c080, 0x2a2a4a, 0xd0d0c0, 0xc04040]), 20);
  const b = T.jitter(rng, rng.pick([0x4a7a3a, 0x8a4a2a, 0x3a5a8a, 0xd8a040, 0x202020]), 20);
  c.fill(rect(ix, iy, iw, ih), mat(ctx, "painting", "", "paper", a));
  const split = iy + ih * rng.range(0.4, 0.7);
  c.fill(rect(ix, split, iw, iy + ih - split), mat(ctx, "painting", "", "paper", b));
  if (rng.chance(0.7)) {
    const r = Math.min(iw, ih) * rng.range(0.15, 0.3);
    c.fill(
      ellipse(ix + iw * rng.range(0.25, 0.75), iy + ih * rng.range(0.3, 0.6), r, r),
      mat(
        ctx,
        "painting",
        "",
        "paper",
        T.jitter(rng, rng.pick([0xf0d040, 0xe06030, 0xf0f0f0, 0x4040a0]), 20),
      ),
    );
  }
}

/** A wall window with frame and 1-4 panes showing a bright outside. */
export function windowObj(ctx: Ctx, x: number, y: number, w: number, h: number): void {
  const { rng, c, u } = ctx;
  const fcol = T.jitter(rng, rng.pick([0xf0f0ec, 0x6a4a30, 0x303030, 0xd8d0c0]), 6);
  c.fill(
    rect(x, y, w, h),
    mat(ctx, "window", "", rng.pick<MaterialName>(["wood", "painted"]), fcol),
  );
  const cols = rng.int(1, 2), rows = rng.int(1, 2);
  const f = Math.max(0.8, u * 0.7);
  const pw = (w - f) / cols, ph = (h - f) / rows;
  const outside = T.jitter(rng, rng.pick([0xa8cdf0, 0xc8dcf0, 0x8ab0d8, 0xe8ecf0]), 8);
  const green = rng.chance(0.5) ? T.jitter(rng, 0x5a8a4a) : outside;
  const horizon = y + h * rng.range(0.5, 0.9);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < rows; j++) {
      c.fill(
        rect(x + f + i * pw, y + f + j * ph, pw - f, ph - f),
        {
          ...mat(ctx, "window", "pane", "glass"),
          tex: (px, py) =>
            T.shade(py < horizon ? outside : green, 1, ((px + py) % (6 * u)) < 1.5 * u ? 20 : 0),
        },
      );
    }
  }
}

/** A rug on the floor: flat ellipse or band, centered at (x, cy). */
export function rug(ctx: Ctx, x: number, cy: number, w: number, h: number): void {
  const { rng, c } = ctx;
  const col = T.jitter(rng, rng.pick([0x8a3a3a, 0x5a6a8a, 0xb89a70, 0x6a8a6a, 0xd8d0c0]), 12);
  const shape = rng.chance(0.4) ? ellipse(x, cy, w / 2, h / 2) : rect(x - w / 2, cy - h / 2, w, h);
  c.fill(shape, mat(ctx, "rug", "", "carpet", col));
}

/** A potted plant of height h. */
export function plant(ctx: Ctx, x: number, by: number, h: number): void {
  const { rng, c } = ctx;
  const pw = h * rng.range(0.25, 0.4), ph = h * rng.range(0.25, 0.35);
  const leaves = [];
  for (let i = rng.int(3, 5); i > 0; i--) {
    leaves.push(
      ellipse(
        x + rng.range(-0.3, 0.3) * h,
        by - ph - rng.range(0.15, 0.5) * h,
        h * rng.range(0.12, 0.22),
        h * rng.range(0.15, 0.28),
      ),
    );
  }
  c.fill(union(...leaves), mat(ctx, "plant", "leaves", "foliage"));
  c.fill(
    polygon([x - pw / 2, by - ph, x + pw / 2, by - ph, x + pw * 0.35, by, x - pw * 0.35, by]),
    mat(
      ctx,
      "plant",
      "pot",
      rng.pick<MaterialName>(["plastic", "stone"]),
      T.jitter(rng, rng.pick([0xb05a3a, 0xe8e8e8, 0x303030, 0x4a6a8a])),
    ),
  );
}
