/**
 * Composition rules per scene class. A class is defined by which shared
 * objects appear, how often, and where; no object is exclusive to one class.
 */

import { rect } from "./canvas.ts";
import { band, depth, Queue, recede, type Room, room, roomDepth, wavyBand } from "./layout.ts";
import {
  building,
  type BuildingOpts,
  fence,
  HOUSE,
  pier,
  streetlight,
} from "./objects/buildings.ts";
import { type Ctx, mat } from "./objects/common.ts";
import * as F from "./objects/furniture.ts";
import { clouds, mountains, rock, sky, tree } from "./objects/nature.ts";
import { airplaneBelow, airplaneSide, boat, car, person } from "./objects/vehicles.ts";
import type { MaterialName, SceneName } from "./vocabulary.ts";

/** Draws one scene into a context. */
export type Draw = (ctx: Ctx) => void;

/** Sky and clouds above a horizon drawn between fractions lo and hi of the height; returns its y. */
export function outdoor(ctx: Ctx, lo: number, hi: number, cloudMax: number): number {
  const hz = ctx.S * ctx.rng.range(lo, hi);
  sky(ctx, hz);
  clouds(ctx, ctx.rng.int(0, cloudMax), hz * 0.8);
  return hz;
}

/** A y between fractions a and b of the way from the horizon to the bottom. */
export function yIn(ctx: Ctx, hz: number, a: number, b: number): number {
  return hz + (ctx.S - hz) * ctx.rng.range(a, b);
}

/** A random facing: 1 or -1. */
export function dir(ctx: Ctx): number {
  return ctx.rng.chance(0.5) ? 1 : -1;
}

/** With probability p, an integer in [lo, hi]; else 0. */
export function count(ctx: Ctx, p: number, lo: number, hi: number): number {
  return ctx.rng.chance(p) ? ctx.rng.int(lo, hi) : 0;
}

/** A range of fractions of the way from the horizon to the bottom. */
export interface Span {
  a: number;
  b: number;
}

/** How many trees, where, and of what kind. */
export interface TreeOpts {
  n: number;
  /** Probability of a pine (else a round tree). */
  pine: number;
  ys: Span;
  /** Height relative to a tree at the bottom of the frame (default 1). */
  size?: number;
  /** Probability that all the trees are autumn-colored (default 0.1). */
  autumn?: number;
}

/** Trees standing between ys.a and ys.b of the ground, drawn in depth order by the queue. */
export function trees(ctx: Ctx, q: Queue, hz: number, o: TreeOpts): void {
  const { n, pine: pineP, ys, size = 1, autumn: autumnP = 0.1 } = o;
  const autumn = ctx.rng.chance(autumnP);
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, ys.a, ys.b), x = ctx.rng.range(-0.05, 1.05) * ctx.S;
    const h = ctx.S * 0.6 * size * depth(ctx, hz, y) * ctx.rng.range(0.7, 1.3);
    const kind = ctx.rng.chance(pineP) ? "pine" : "round";
    q.add(y, () => tree(ctx, x, y, h, kind, autumn));
  }
}

/** n people standing between ys.a and ys.b. */
export function people(ctx: Ctx, q: Queue, hz: number, n: number, ys: Span): void {
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, ys.a, ys.b), x = ctx.rng.range(0.05, 0.95) * ctx.S;
    const h = ctx.S * 0.32 * depth(ctx, hz, y) * ctx.rng.range(0.85, 1.15);
    q.add(y, () => person(ctx, x, y, h));
  }
}

/** n cars between ys.a and ys.b, facing either way. */
export function cars(ctx: Ctx, q: Queue, hz: number, n: number, ys: Span): void {
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, ys.a, ys.b), x = ctx.rng.range(0, 1) * ctx.S;
    const w = ctx.S * 0.4 * depth(ctx, hz, y) * ctx.rng.range(0.85, 1.15);
    const d = dir(ctx);
    q.add(y, () => car(ctx, x, y, w, d));
  }
}

/** n rocks between ys.a and ys.b. */
export function rocks(ctx: Ctx, q: Queue, hz: number, n: number, ys: Span): void {
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, ys.a, ys.b), x = ctx.rng.range(0, 1) * ctx.S;
    const w = ctx.S * 0.2 * depth(ctx, hz, y) * ctx.rng.range(0.5, 1.5);
    q.add(y, () => rock(ctx, x, y, w));
  }
}

/** n boats on water between ys.a and ys.b. */
export function boats(ctx: Ctx, q: Queue, hz: number, n: number, ys: Span, size = 1): void {
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, ys.a, ys.b), x = ctx.rng.range(0.05, 0.95) * ctx.S;
    const w = ctx.S * 0.45 * size * depth(ctx, hz, y) * ctx.rng.range(0.7, 1.3);
    const d = dir(ctx);
    q.add(y, () => boat(ctx, x, y, w, d));
  }
}

/** With probability p, an airplane in the sky above the horizon. */
export function flyingPlanes(ctx: Ctx, hz: number, p: number): void {
  if (!ctx.rng.chance(p)) return;
  const { S, rng } = ctx;
  const x = rng.range(0.2, 0.8) * S, y = rng.range(0.1, 0.7) * hz;
  const w = S * rng.range(0.2, 0.45);
  if (rng.chance(0.5)) airplaneBelow(ctx, x, y, w, dir(ctx));
  else airplaneSide(ctx, x, y, w, dir(ctx), false);
}

/** Buildings side by side from x0 to x1, standing on y. */
export function buildingsRow(
  ctx: Ctx,
  q: Queue,
  y: number,
  x0: number,
  x1: number,
  hMin: number,
  hMax: number,
  o: BuildingOpts,
): void {
  const { S, rng } = ctx;
  let x = x0;
  while (x < x1) {
    const w = S * rng.range(0.18, 0.4) * (hMax / 0.45);
    const h = S * rng.range(hMin, hMax);
    const cx = x + w / 2;
    q.add(y - 0.001 * x, () => building(ctx, cx, y, w, h, o));
    x += w + rng.range(-0.05, 0.08) * S;
  }
}

/** One fence standing between ys.a and ys.b. */
export function fenceAt(ctx: Ctx, q: Queue, hz: number, ys: Span): void {
  const y = yIn(ctx, hz, ys.a, ys.b), { S, rng } = ctx;
  const x0 = rng.range(-0.1, 0.5) * S, x1 = x0 + rng.range(0.3, 1) * S;
  const h = S * 0.12 * depth(ctx, hz, y);
  q.add(y, () => fence(ctx, x0, x1, y, h));
}

/** n street lights between ys.a and ys.b. */
export function lights(ctx: Ctx, q: Queue, hz: number, n: number, ys: Span): void {
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, ys.a, ys.b), x = ctx.rng.range(0, 1) * ctx.S;
    const h = ctx.S * 0.45 * depth(ctx, hz, y);
    q.add(y, () => streetlight(ctx, x, y, h));
  }
}

// ---- outdoor natural ----

const skiResort: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.3, 0.5, 3);
  mountains(ctx, hz + S * 0.03, S * rng.range(0.15, 0.35), 0.95);
  wavyBand(ctx, hz, S * 0.08, "snow", "snow");
  const q = new Queue();
  trees(ctx, q, hz, {
    n: count(ctx, 0.75, 1, 7),
    pine: 0.85,
    ys: { a: 0, b: 0.7 },
    size: 0.9,
    autumn: 0,
  });
  people(ctx, q, hz, count(ctx, 0.85, 1, 5), { a: 0.1, b: 1 });
  if (rng.chance(0.35)) {
    const y = yIn(ctx, hz, 0, 0.3), x = rng.range(0.15, 0.85) * S;
    const s = depth(ctx, hz, y);
    q.add(y, () => building(ctx, x, y, S * 0.55 * s, S * 0.3 * s, { ...HOUSE, roof: [5, 1, 0] }));
  }
  cars(ctx, q, hz, count(ctx, 0.12, 1, 3), { a: 0.2, b: 0.6 });
  rocks(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0, b: 1 });
  if (rng.chance(0.2)) fenceAt(ctx, q, hz, { a: 0.3, b: 0.9 });
  q.flush();
};

const mountain: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.45, 0.7, 4);
  mountains(ctx, hz + S * 0.02, S * rng.range(0.25, 0.5), 0.45);
  const g = rng.weighted([5, 3, 1]);
  const [obj, m] = ([["grass", "grass"], ["ground", "soil"], ["snow", "snow"]] as const)[g];
  band(ctx, hz, S + 1, obj, m);
  if (rng.chance(0.25)) band(ctx, hz, hz + (S - hz) * rng.range(0.15, 0.4), "water", "water");
  if (rng.chance(0.3)) recede(ctx, hz, rng.range(0.3, 0.7) * S, S * 0.35, S * 0.02, "path", "soil");
  const q = new Queue();
  trees(ctx, q, hz, { n: count(ctx, 0.5, 1, 6), pine: 0.6, ys: { a: 0, b: 1 } });
  rocks(ctx, q, hz, count(ctx, 0.6, 1, 4), { a: 0, b: 1 });
  people(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0.3, b: 1 });
  if (rng.chance(0.06)) {
    const y = yIn(ctx, hz, 0, 0.3), x = rng.range(0.1, 0.9) * S, s = depth(ctx, hz, y);
    q.add(y, () => building(ctx, x, y, S * 0.4 * s, S * 0.25 * s, HOUSE));
  }
  q.flush();
  flyingPlanes(ctx, hz, 0.05);
};

const beach: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.55, 4);
  if (rng.chance(0.1)) mountains(ctx, hz + 1, S * rng.range(0.05, 0.12), 0);
  band(ctx, hz, S + 1, "water", "water");
  const shore = hz + (S - hz) * rng.range(0.2, 0.55);
  wavyBand(ctx, shore, S * 0.06, "sand", "sand");
  const q = new Queue();
  const frac = (shore - hz) / (S - hz);
  boats(ctx, q, hz, count(ctx, 0.35, 1, 2), { a: 0.02, b: frac * 0.8 }, 0.7);
  if (rng.chance(0.1)) {
    const y = hz + (shore - hz) * 0.6, x0 = rng.range(0, 0.5) * S;
    q.add(y, () => pier(ctx, x0, x0 + S * rng.range(0.3, 0.6), y, S * 0.03));
  }
  people(ctx, q, hz, count(ctx, 0.7, 1, 5), { a: frac * 0.7, b: 1 });
  for (let i = count(ctx, 0.25, 1, 3); i > 0; i--) {
    const y = yIn(ctx, hz, frac + 0.1, 1), x = rng.range(0.05, 0.95) * S;
    const h = S * 0.25 * depth(ctx, hz, y);
    q.add(y, () => F.chair(ctx, x, y, h));
  }
  if (rng.chance(0.08)) {
    const y = yIn(ctx, hz, frac + 0.1, 1), x = rng.range(0.1, 0.9) * S, s = depth(ctx, hz, y);
    q.add(y, () => F.table(ctx, x, y, S * 0.25 * s, S * 0.14 * s));
  }
  trees(ctx, q, hz, { n: count(ctx, 0.3, 1, 3), pine: 0, ys: { a: frac, b: 1 } });
  rocks(ctx, q, hz, count(ctx, 0.25, 1, 3), { a: frac * 0.5, b: 1 });
  if (rng.chance(0.1)) fenceAt(ctx, q, hz, { a: frac + 0.05, b: 1 });
  if (rng.chance(0.1)) {
    const x = rng.range(0.1, 0.9) * S;
    q.add(hz, () => building(ctx, x, hz + 1, S * 0.2, S * 0.1, HOUSE));
  }
  q.flush();
  flyingPlanes(ctx, hz, 0.06);
};

const harbor: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.3, 0.5, 3);
  if (rng.chance(0.15)) mountains(ctx, hz + 1, S * rng.range(0.06, 0.15), 0.2);
  const q0 = new Queue();
  if (rng.chance(0.5)) buildingsRow(ctx, q0, hz + 1, -0.05 * S, S, 0.05, 0.15, HOUSE);
  q0.flush();
  band(ctx, hz, S + 1, "water", "water");
  const quay = hz + (S - hz) * rng.range(0.55, 0.85);
  const qkind = rng.weighted([5, 4, 1.5]);
  const q = new Queue();
  boats(ctx, q, hz, rng.int(1, 5), { a: 0.05, b: (quay - hz) / (S - hz) }, 1);
  q.flush();
  if (qkind === 0) band(ctx, quay, S + 1, "road", rng.pick<MaterialName>(["asphalt", "stone"]));
  else if (qkind === 1) pier(ctx, -1, S + 1, quay + S * 0.05, S * 0.06);
  else wavyBand(ctx, quay, S * 0.03, "sand", "sand");
  const qs = { a: (quay - hz) / (S - hz) + 0.05, b: 1 };
  people(ctx, q, hz, count(ctx, 0.5, 1, 3), qs);
  if (qkind === 0) cars(ctx, q, hz, count(ctx, 0.3, 1, 2), qs);
  lights(ctx, q, hz, count(ctx, 0.3, 1, 2), qs);
  q.flush();
};

const lake: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.55, 4);
  if (rng.chance(0.5)) mountains(ctx, hz, S * rng.range(0.1, 0.3), 0.3);
  band(ctx, hz, S + 1, "water", "water");
  if (rng.chance(0.7)) {
    // A far shore lined with small trees.
    const q0 = new Queue();
    band(ctx, hz - 1, hz + S * 0.02, "grass", "grass");
    for (let x = -0.05 * S; x < S; x += rng.range(0.03, 0.08) * S) {
      const h = S * rng.range(0.07, 0.14), xx = x;
      q0.add(hz, () => tree(ctx, xx, hz + S * 0.02, h, rng.chance(0.6) ? "pine" : "round"));
    }
    q0.flush();
  }
  const shore = hz + (S - hz) * rng.range(0.45, 0.8);
  const g = rng.weighted([6, 2.5, 1]);
  const [obj, m] = ([["grass", "grass"], ["sand", "sand"], ["snow", "snow"]] as const)[g];
  wavyBand(ctx, shore, S * 0.05, obj, m);
  const frac = (shore - hz) / (S - hz);
  const q = new Queue();
  boats(ctx, q, hz, count(ctx, 0.35, 1, 2), { a: 0.05, b: frac * 0.8 }, 0.6);
  if (rng.chance(0.3)) {
    const y = shore - S * 0.02, x0 = rng.range(-0.2, 0.6) * S;
    q.add(y, () => pier(ctx, x0, x0 + S * rng.range(0.25, 0.5), y, S * 0.025));
  }
  trees(ctx, q, hz, { n: count(ctx, 0.5, 1, 3), pine: 0.5, ys: { a: frac, b: 1 } });
  people(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: frac, b: 1 });
  rocks(ctx, q, hz, count(ctx, 0.3, 1, 3), { a: frac, b: 1 });
  if (rng.chance(0.15)) {
    const y = yIn(ctx, hz, frac, frac + 0.1), x = rng.range(0.1, 0.9) * S, s = depth(ctx, hz, y);
    q.add(y, () => building(ctx, x, y, S * 0.35 * s, S * 0.25 * s, { ...HOUSE, roof: [5, 1, 0] }));
  }
  q.flush();
};

const forestPath: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.55, 2);
  if (rng.chance(0.1)) mountains(ctx, hz, S * 0.15, 0.3);
  band(ctx, hz, S + 1, rng.chance(0.6) ? "grass" : "ground", rng.chance(0.6) ? "grass" : "soil");
  const vx = rng.range(0.3, 0.7) * S;
  recede(
    ctx,
    hz,
    vx,
    S * rng.range(0.3, 0.6),
    S * 0.03,
    "path",
    rng.pick<MaterialName>(["soil", "soil", "sand", "stone"]),
  );
  const q = new Queue();
  // Dense trees kept off the path's center line.
  const n = rng.int(9, 18);
  const autumn = rng.chance(0.15);
  for (let i = 0; i < n; i++) {
    const y = yIn(ctx, hz, 0, 1), t = (y - hz) / (S - hz);
    const off = (0.08 + 0.4 * t + rng.range(0, 0.45)) * S * (rng.chance(0.5) ? 1 : -1);
    const x = vx + (S / 2 - vx) * t + off;
    const h = S * 0.9 * depth(ctx, hz, y) * rng.range(0.8, 1.4);
    const kind = rng.chance(0.4) ? "pine" : "round";
    q.add(y, () => tree(ctx, x, y, h, kind, autumn));
  }
  rocks(ctx, q, hz, count(ctx, 0.4, 1, 3), { a: 0, b: 1 });
  people(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: 0.2, b: 1 });
  if (rng.chance(0.1)) fenceAt(ctx, q, hz, { a: 0.2, b: 0.9 });
  q.flush();
};

const park: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.4, 0.6, 4);
  const q0 = new Queue();
  if (rng.chance(0.35)) {
    buildingsRow(
      ctx,
      q0,
      hz + 1,
      rng.range(-0.1, 0.3) * S,
      rng.range(0.5, 1) * S,
      0.08,
      0.2,
      HOUSE,
    );
  }
  q0.flush();
  band(ctx, hz, S + 1, "grass", "grass");
  if (rng.chance(0.25)) {
    const y = yIn(ctx, hz, 0.1, 0.5);
    ctx.c.fill(
      rect(rng.range(-0.2, 0.5) * S, y, rng.range(0.3, 0.8) * S, (S - hz) * 0.15),
      mat(ctx, "water", "", "water"),
    );
  }
  if (rng.chance(0.15)) band(ctx, yIn(ctx, hz, 0.6, 0.9), S + 1, "ground", "soil");
  if (rng.chance(0.5)) {
    recede(
      ctx,
      hz,
      rng.range(0.1, 0.9) * S,
      S * 0.3,
      S * 0.05,
      "path",
      rng.pick<MaterialName>(["sand", "stone", "asphalt"]),
    );
  }
  const q = new Queue();
  trees(ctx, q, hz, { n: rng.int(1, 6), pine: 0.2, ys: { a: 0, b: 1 }, size: 0.9, autumn: 0.15 });
  people(ctx, q, hz, count(ctx, 0.7, 1, 4), { a: 0.1, b: 1 });
  for (let i = count(ctx, 0.25, 1, 2); i > 0; i--) {
    const y = yIn(ctx, hz, 0.2, 1), x = rng.range(0.1, 0.9) * S, s = depth(ctx, hz, y);
    q.add(
      y,
      () =>
        rng.chance(0.5)
          ? F.table(ctx, x, y, S * 0.3 * s, S * 0.14 * s)
          : F.chair(ctx, x, y, S * 0.25 * s),
    );
  }
  if (rng.chance(0.25)) fenceAt(ctx, q, hz, { a: 0.1, b: 1 });
  lights(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: 0.1, b: 0.8 });
  cars(ctx, q, hz, count(ctx, 0.1, 1, 2), { a: 0, b: 0.15 });
  rocks(ctx, q, hz, count(ctx, 0.15, 1, 2), { a: 0.2, b: 1 });
  q.flush();
};

// ---- outdoor built ----

/** How likely trees and doors are in a church scene. */
export interface ChurchOpts {
  treeP: number;
  treeMax: number;
  doorP: number;
}

/** Church exteriors: one large church, maybe houses, trees, grass or paving. */
export function churchScene(ctx: Ctx, o: ChurchOpts): void {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.55, 0.78, 4);
  const q0 = new Queue();
  if (rng.chance(0.4)) {
    buildingsRow(ctx, q0, hz, -0.1 * S, S, 0.1, 0.3, { ...HOUSE, door: o.doorP });
  }
  trees(ctx, q0, hz, {
    n: count(ctx, o.treeP * 0.5, 1, 4),
    pine: 0.3,
    ys: { a: 0, b: 0.02 },
    size: 0.7,
  });
  const cx = rng.range(0.3, 0.7) * S, w = S * rng.range(0.35, 0.6);
  const arched = rng.chance(0.8);
  q0.add(hz + 0.5, () =>
    building(ctx, cx, hz + 1, w, S * rng.range(0.18, 0.35), {
      door: o.doorP,
      dome: 0.35,
      steeple: 0.8,
      windows: 0.9,
      arched,
      roof: [5, 1, 0],
    }));
  q0.flush();
  const g = rng.weighted([6, 2, 2]);
  if (g === 0) band(ctx, hz, S + 1, "grass", "grass");
  else if (g === 1) band(ctx, hz, S + 1, "road", rng.pick<MaterialName>(["asphalt", "stone"]));
  else band(ctx, hz, S + 1, "ground", "soil");
  if (g === 0 && rng.chance(0.5)) {
    recede(
      ctx,
      hz,
      cx,
      S * 0.25,
      S * 0.08,
      "path",
      rng.pick<MaterialName>(["stone", "sand", "asphalt"]),
    );
  }
  const q = new Queue();
  trees(ctx, q, hz, {
    n: count(ctx, o.treeP, 1, o.treeMax),
    pine: 0.3,
    ys: { a: 0, b: 1 },
    size: 0.9,
  });
  people(ctx, q, hz, count(ctx, 0.3, 1, 3), { a: 0.1, b: 1 });
  cars(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0.1, b: 1 });
  if (rng.chance(0.25)) fenceAt(ctx, q, hz, { a: 0.05, b: 1 });
  lights(ctx, q, hz, count(ctx, 0.15, 1, 2), { a: 0.1, b: 1 });
  q.flush();
}

const church: Draw = (ctx) => churchScene(ctx, { treeP: 0.7, treeMax: 4, doorP: 0.85 });

const street: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.45, 0.62, 3);
  const q0 = new Queue();
  buildingsRow(ctx, q0, hz + 1, rng.range(-0.2, 0) * S, S, 0.15, 0.45, {
    door: 0.7,
    dome: 0.06,
    steeple: 0.08,
    windows: 0.95,
    arched: rng.chance(0.15),
    roof: [2, 5, 2],
  });
  q0.flush();
  const walk = hz + (S - hz) * rng.range(0.1, 0.3);
  band(ctx, hz, walk, "path", rng.pick<MaterialName>(["stone", "tile", "asphalt"]));
  band(ctx, walk, S + 1, "road", "asphalt");
  // Lane markings: part of the road object, painted material.
  const ly = walk + (S - walk) * rng.range(0.4, 0.7);
  for (let x = rng.range(-0.1, 0.1) * S; x < S; x += 0.25 * S) {
    ctx.c.fill(
      rect(x, ly, 0.12 * S, Math.max(1, ctx.u)),
      mat(ctx, "road", "", "painted", rng.chance(0.7) ? 0xf0f0f0 : 0xe8c030),
    );
  }
  const q = new Queue();
  const wf = (walk - hz) / (S - hz);
  people(ctx, q, hz, count(ctx, 0.6, 1, 4), { a: 0, b: wf });
  lights(ctx, q, hz, count(ctx, 0.6, 1, 3), { a: wf * 0.5, b: wf });
  trees(ctx, q, hz, { n: count(ctx, 0.35, 1, 3), pine: 0, ys: { a: 0, b: wf }, size: 0.8 });
  if (rng.chance(0.1)) fenceAt(ctx, q, hz, { a: 0, b: wf });
  cars(ctx, q, hz, count(ctx, 0.9, 1, 5), { a: wf + 0.05, b: 1 });
  q.flush();
};

const airfield: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.45, 0.65, 4);
  if (rng.chance(0.15)) mountains(ctx, hz, S * rng.range(0.06, 0.15), 0.3);
  const q0 = new Queue();
  if (rng.chance(0.4)) {
    const x = rng.range(0.1, 0.9) * S;
    q0.add(
      hz,
      () =>
        building(ctx, x, hz + 1, S * rng.range(0.3, 0.6), S * rng.range(0.06, 0.14), {
          ...HOUSE,
          roof: [0, 4, 1],
          windows: 1,
        }),
    );
  }
  trees(ctx, q0, hz, { n: count(ctx, 0.2, 2, 6), pine: 0.3, ys: { a: 0, b: 0.01 }, size: 0.5 });
  q0.flush();
  band(ctx, hz, S + 1, "grass", "grass");
  const r0 = hz + (S - hz) * rng.range(0.15, 0.5), r1 = r0 + (S - hz) * rng.range(0.2, 0.45);
  if (rng.chance(0.7)) {
    band(ctx, r0, r1, "road", "asphalt");
    for (let x = rng.range(0, 0.1) * S; x < S; x += 0.2 * S) {
      ctx.c.fill(
        rect(x, (r0 + r1) / 2 - ctx.u / 2, 0.1 * S, Math.max(1, ctx.u)),
        mat(ctx, "road", "", "painted", 0xf0f0f0),
      );
    }
  } else {
    recede(ctx, hz, rng.range(0.3, 0.7) * S, S * 0.7, S * 0.06, "road", "asphalt");
  }
  if (rng.chance(0.15)) band(ctx, r1, S + 1, "ground", "soil");
  const q = new Queue();
  const planes = count(ctx, 0.7, 1, 2);
  for (let i = 0; i < planes; i++) {
    const y = yIn(ctx, hz, 0.2, 0.9), x = rng.range(0.2, 0.8) * S;
    const w = S * 0.9 * depth(ctx, hz, y) * rng.range(0.8, 1.2), d = dir(ctx);
    q.add(y, () => airplaneSide(ctx, x, y - w * 0.12, w, d, true));
  }
  if (rng.chance(0.3)) fenceAt(ctx, q, hz, { a: 0.05, b: 1 });
  cars(ctx, q, hz, count(ctx, 0.25, 1, 2), { a: 0.1, b: 1 });
  people(ctx, q, hz, count(ctx, 0.3, 1, 3), { a: 0.1, b: 1 });
  q.flush();
  flyingPlanes(ctx, hz, planes === 0 ? 0.5 : 0.1);
};

// ---- indoor ----

/** Floor position for furniture in a room: y and its depth scale. */
export function floorAt(ctx: Ctx, r: Room, a: number, b: number): { y: number; s: number } {
  const y = r.floor + (ctx.S - r.floor) * ctx.rng.range(a, b);
  return { y, s: roomDepth(ctx, r, y) };
}

/** Windows and paintings hung on a room's back wall. */
export function wallThings(ctx: Ctx, r: Room, windows: number, paintings: number): void {
  const { S, rng } = ctx;
  const wt = Math.max(0, r.top), wh = r.floor - wt;
  for (let i = 0; i < windows; i++) {
    const w = S * rng.range(0.15, 0.3), h = wh * rng.range(0.35, 0.6);
    F.windowObj(ctx, rng.range(r.left, r.right - w), wt + wh * rng.range(0.08, 0.3), w, h);
  }
  for (let i = 0; i < paintings; i++) {
    const w = S * rng.range(0.1, 0.25), h = w * rng.range(0.6, 1.3);
    F.painting(ctx, rng.range(r.left, r.right - w), wt + wh * rng.range(0.1, 0.35), w, h);
  }
}

/** n lamps hanging from the ceiling. */
export function hangingLamps(ctx: Ctx, r: Room, n: number): void {
  const { S, rng } = ctx;
  for (let i = 0; i < n; i++) {
    F.hangingLamp(
      ctx,
      rng.range(0.15, 0.85) * S,
      -1,
      Math.max(r.top, 0) + S * rng.range(0.08, 0.2),
      S * rng.range(0.1, 0.18),
    );
  }
}

const hangar: Draw = (ctx) => {
  const { rng, S } = ctx;
  const r = room(
    ctx,
    rng.chance(0.8) ? "metal" : "brick",
    rng.pick<MaterialName>(["stone", "asphalt", "tile"]),
    0.8,
  );
  if (rng.chance(0.5)) {
    // Open hangar door showing sky and field.
    const x0 = r.left + (r.right - r.left) * rng.range(0.05, 0.3);
    const x1 = r.right - (r.right - r.left) * rng.range(0.05, 0.3);
    const top = Math.max(r.top, 0) + (r.floor - Math.max(r.top, 0)) * rng.range(0.1, 0.4);
    ctx.c.fill(rect(x0, top, x1 - x0, r.floor - top), mat(ctx, "sky", "", "none", 0xa8c8e8));
    const gy = r.floor - (r.floor - top) * rng.range(0.1, 0.3);
    ctx.c.fill(rect(x0, gy, x1 - x0, r.floor - gy), mat(ctx, "grass", "", "grass"));
  }
  if (rng.chance(0.3)) wallThings(ctx, r, rng.int(1, 2), 0);
  hangingLamps(ctx, r, count(ctx, 0.6, 1, 3));
  const q = new Queue();
  if (rng.chance(0.75)) {
    const { y, s } = floorAt(ctx, r, 0.3, 0.8),
      x = rng.range(0.3, 0.7) * S,
      w = S * 1.1 * s,
      d = dir(ctx);
    q.add(y, () => airplaneSide(ctx, x, y - w * 0.12, w, d, true));
  }
  for (let i = count(ctx, 0.3, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0, 0.2), x = rng.range(0.1, 0.9) * S;
    q.add(y, () => F.cabinet(ctx, x, y, S * 0.2 * s, S * 0.3 * s));
  }
  for (let i = count(ctx, 0.2, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.1, 1), x = rng.range(0, 1) * S, d = dir(ctx);
    q.add(y, () => car(ctx, x, y, S * 0.45 * s, d));
  }
  for (let i = count(ctx, 0.5, 1, 3); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.1, 1), x = rng.range(0, 1) * S;
    q.add(y, () => person(ctx, x, y, S * 0.4 * s));
  }
  if (rng.chance(0.15)) {
    const { y, s } = floorAt(ctx, r, 0.1, 0.9), x = rng.range(0.1, 0.9) * S;
    q.add(y, () => F.table(ctx, x, y, S * 0.3 * s, S * 0.18 * s));
  }
  q.flush();
};

/** How often each thing appears in an indoor class (probabilities). */
export interface RoomMix {
  wall: MaterialName[];
  floor: MaterialName[];
  bed: number;
  sofa: number;
  table: number;
  chairs: number;
  lamp: number;
  cabinet: number;
  counter: number;
  oven: number;
  painting: number;
  window: number;
  rug: number;
  plant: number;
  person: number;
  hanging: number;
  /** Most tables and chairs (defaults 1 and 3); the draw sequence is the same either way. */
  tablesMax?: number;
  chairsMax?: number;
}

/** Shared indoor composer; classes differ only by their RoomMix. */
export function indoor(ctx: Ctx, m: RoomMix): void {
  const { rng, S } = ctx;
  const r = room(ctx, rng.pick(m.wall), rng.pick(m.floor), 0.5);
  wallThings(ctx, r, count(ctx, m.window, 1, 2), count(ctx, m.painting, 1, 2));
  const q = new Queue();
  if (rng.chance(m.counter)) {
    // A row of kitchen base cabinets along the back wall, maybe with an oven.
    const h = S * 0.28 * roomDepth(ctx, r, r.floor + 1), y = r.floor + S * 0.02;
    const x0 = Math.max(r.left, 0) - S * 0.02, x1 = Math.min(r.right, S) + S * 0.02;
    const n = rng.int(2, 4), cw = (x1 - x0) / n;
    const ovenAt = rng.chance(m.oven) ? rng.int(0, n - 1) : -1;
    for (let i = 0; i < n; i++) {
      const x = x0 + cw * (i + 0.5);
      q.add(
        y,
        () => i === ovenAt ? F.oven(ctx, x, y, cw * 0.95, h) : F.cabinet(ctx, x, y, cw, h, true),
      );
    }
    if (rng.chance(0.6)) {
      for (let i = 0; i < n; i++) {
        if (rng.chance(0.3)) continue;
        F.cabinet(
          ctx,
          x0 + cw * (i + 0.5),
          Math.max(r.top, 0) + (r.floor - Math.max(r.top, 0)) * 0.45,
          cw * 0.9,
          S * 0.14,
        );
      }
    }
  } else if (rng.chance(m.oven)) {
    const { y, s } = floorAt(ctx, r, 0, 0.2), x = rng.range(0.15, 0.85) * S;
    q.add(y, () => F.oven(ctx, x, y, S * 0.22 * s, S * 0.28 * s));
  }
  if (rng.chance(m.rug)) {
    const { y, s } = floorAt(ctx, r, 0.3, 0.8), x = rng.range(0.3, 0.7) * S;
    F.rug(ctx, x, y, S * 0.6 * s, S * 0.18 * s);
  }
  if (rng.chance(m.bed)) {
    const { y, s } = floorAt(ctx, r, 0.15, 0.7), x = rng.range(0.3, 0.7) * S;
    q.add(y, () => F.bed(ctx, x, y, S * 0.75 * s));
  }
  if (rng.chance(m.sofa)) {
    const { y, s } = floorAt(ctx, r, 0.05, 0.6), x = rng.range(0.3, 0.7) * S;
    q.add(y, () => F.sofa(ctx, x, y, S * 0.6 * s));
  }
  for (let i = count(ctx, m.table, 1, m.tablesMax ?? 1); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.1, 0.9), x = rng.range(0.2, 0.8) * S;
    const small = rng.chance(0.4);
    q.add(y, () => F.table(ctx, x, y, S * (small ? 0.18 : 0.4) * s, S * (small ? 0.2 : 0.24) * s));
  }
  for (let i = count(ctx, m.chairs, 1, m.chairsMax ?? 3); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.1, 1), x = rng.range(0.05, 0.95) * S;
    q.add(y, () => F.chair(ctx, x, y, S * 0.38 * s));
  }
  for (let i = count(ctx, m.lamp, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0, 0.6), x = rng.range(0.05, 0.95) * S;
    q.add(y, () => F.lamp(ctx, x, y, S * 0.55 * s));
  }
  for (let i = count(ctx, m.cabinet, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0, 0.3), x = rng.range(0.1, 0.9) * S;
    const tall = rng.chance(0.5);
    q.add(y, () => F.cabinet(ctx, x, y, S * (tall ? 0.25 : 0.3) * s, S * (tall ? 0.5 : 0.22) * s));
  }
  for (let i = count(ctx, m.plant, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0, 1), x = rng.range(0.05, 0.95) * S;
    q.add(y, () => F.plant(ctx, x, y, S * 0.3 * s));
  }
  for (let i = count(ctx, m.person, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.2, 1), x = rng.range(0.1, 0.9) * S;
    q.add(y, () => person(ctx, x, y, S * 0.7 * s));
  }
  q.flush();
  hangingLamps(ctx, r, count(ctx, m.hanging, 1, 2));
}

/** A room with nothing in it: classes override what they have. */
export const ROOM_BASE: RoomMix = {
  wall: ["painted", "painted", "brick", "wood"],
  floor: ["wood", "carpet", "tile"],
  bed: 0,
  sofa: 0,
  table: 0,
  chairs: 0,
  lamp: 0,
  cabinet: 0,
  counter: 0,
  oven: 0,
  painting: 0,
  window: 0,
  rug: 0,
  plant: 0,
  person: 0,
  hanging: 0,
};

const bedroom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    floor: ["wood", "carpet", "carpet"],
    bed: 0.92,
    sofa: 0.08,
    table: 0.4,
    chairs: 0.2,
    lamp: 0.55,
    cabinet: 0.45,
    painting: 0.5,
    window: 0.6,
    rug: 0.3,
    plant: 0.2,
    person: 0.08,
    hanging: 0.15,
  });

const kitchen: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["tile", "painted", "tile", "brick"],
    floor: ["tile", "wood", "stone"],
    counter: 0.9,
    oven: 0.75,
    table: 0.45,
    chairs: 0.4,
    cabinet: 0.15,
    painting: 0.15,
    window: 0.5,
    plant: 0.25,
    person: 0.15,
    hanging: 0.4,
    lamp: 0.05,
  });

const livingRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    sofa: 0.85,
    bed: 0.05,
    table: 0.6,
    chairs: 0.4,
    lamp: 0.55,
    cabinet: 0.4,
    counter: 0.08,
    oven: 0.1,
    painting: 0.6,
    window: 0.6,
    rug: 0.5,
    plant: 0.4,
    person: 0.15,
    hanging: 0.2,
  });

/** The drawer of every v1 scene class. */
export const SCENE_DRAWERS: Record<SceneName, Draw> = {
  ski_resort: skiResort,
  mountain,
  beach,
  harbor,
  lake,
  forest_path: forestPath,
  park,
  church_outdoor: church,
  street,
  airfield,
  hangar,
  bedroom,
  kitchen,
  living_room: livingRoom,
};

/** The GAN family: church exteriors where trees and doors are frequent. */
export const churchFamily: Draw = (ctx) => churchScene(ctx, { treeP: 0.9, treeMax: 6, doorP: 0.9 });
