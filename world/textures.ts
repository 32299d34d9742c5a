/**
 * Color helpers and procedural textures. Textures take pixel coordinates and a
 * `unit` (pixels per 1/64 of the image) so patterns scale with image size.
 * Only integer hashing and + - * / are used, so results are bit-exact.
 */

import type { Texture } from "./canvas.ts";
import { hash2, type Rng } from "./rng.ts";

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** A color as 0xRRGGBB. */
export function rgb(r: number, g: number, b: number): number {
  return (clamp255(r) << 16) | (clamp255(g) << 8) | clamp255(b);
}

/** A 0xRRGGBB color's channels. */
export function channels(c: number): [number, number, number] {
  return [(c >>> 16) & 255, (c >>> 8) & 255, c & 255];
}

/** Multiply brightness by f, then add a gray offset. */
export function shade(c: number, f: number, add = 0): number {
  const [r, g, b] = channels(c);
  return rgb(r * f + add, g * f + add, b * f + add);
}

/** Two colors blended channel by channel (t = 0 gives a). */
export function mix(a: number, b: number, t: number): number {
  const [r1, g1, b1] = channels(a), [r2, g2, b2] = channels(b);
  return rgb(
    r1 + (r2 - r1) * t,
    g1 + (g2 - g1) * t,
    b1 + (b2 - b1) * t,
  );
}

/** A randomly perturbed copy of a base color (brightness and per channel). */
export function jitter(rng: Rng, c: number, amount = 20): number {
  const [r, g, b] = channels(c);
  const f = rng.range(0.85, 1.15);
  return rgb(
    r * f + rng.range(-amount, amount),
    g * f + rng.range(-amount, amount),
    b * f + rng.range(-amount, amount),
  );
}

/** Smooth value noise in [0, 1) on a lattice of `cell` pixels. */
export function valueNoise(
  x: number,
  y: number,
  cellX: number,
  cellY: number,
  seed: number,
): number {
  const fx = x / cellX, fy = y / cellY;
  const ix = Math.floor(fx), iy = Math.floor(fy);
  let tx = fx - ix, ty = fy - iy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const a = hash2(ix, iy, seed), b = hash2(ix + 1, iy, seed);
  const c = hash2(ix, iy + 1, seed), d = hash2(ix + 1, iy + 1, seed);
  return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
}

/** Flat color with fine per-pixel grain. */
export function solid(c: number, grain = 6, seed = 0): Texture {
  if (grain === 0) return () => c;
  return (x, y) => shade(c, 1, (hash2(x, y, seed) - 0.5) * 2 * grain);
}

/** Blotchy color: low-frequency brightness variation plus grain. */
export function blotchy(
  c: number,
  amp: number,
  cell: number,
  seed: number,
  grain = 6,
): Texture {
  return (x, y) =>
    shade(
      c,
      1 + amp * (valueNoise(x, y, cell, cell, seed) - 0.5),
      (hash2(x, y, seed + 1) - 0.5) * 2 * grain,
    );
}

/** Vertical gradient between two y positions (sky, walls with light falloff). */
export function vgradient(
  top: number,
  bottom: number,
  y0: number,
  y1: number,
  grain = 3,
  seed = 0,
): Texture {
  const span = Math.max(1, y1 - y0);
  return (x, y) => {
    const t = Math.min(1, Math.max(0, (y - y0) / span));
    return shade(mix(top, bottom, t), 1, (hash2(x, y, seed) - 0.5) * 2 * grain);
  };
}

/** Running-bond bricks with mortar lines and per-brick shade. */
export function bricks(
  c: number,
  mortar: number,
  bw: number,
  bh: number,
  seed: number,
): Texture {
  return (x, y) => {
    const row = Math.floor(y / bh);
    const off = (row & 1) * bw / 2;
    const col = Math.floor((x + off) / bw);
    const inX = x + off - col * bw, inY = y - row * bh;
    if (inY < 1 || (inX < 1 && bw >= 3)) return shade(mortar, 1, 0);
    const f = 0.85 + 0.3 * hash2(col, row, seed);
    return shade(c, f, (hash2(x, y, seed + 7) - 0.5) * 10);
  };
}

/** Wooden planks: stripes of width pw with per-plank shade and grain. */
export function planks(
  c: number,
  pw: number,
  vertical: boolean,
  seed: number,
): Texture {
  return (x, y) => {
    const a = vertical ? x : y, b = vertical ? y : x;
    const k = Math.floor(a / pw);
    if (a - k * pw < 0.75 && pw >= 3) return shade(c, 0.6);
    const f = 0.85 + 0.25 * hash2(k, 0, seed);
    const grain = valueNoise(b, a, 5, 1, seed + k) - 0.5;
    return shade(c, f + 0.2 * grain);
  };
}

/** Square tiles with grout; optional checker of two colors. */
export function tiles(
  c1: number,
  c2: number,
  size: number,
  grout: number,
  seed: number,
): Texture {
  return (x, y) => {
    const i = Math.floor(x / size), j = Math.floor(y / size);
    if (x - i * size < 1 || y - j * size < 1) return grout;
    const c = ((i + j) & 1) ? c2 : c1;
    return shade(c, 0.93 + 0.1 * hash2(i, j, seed), 0);
  };
}

/** Straight stripes (fabric, awnings). dir: 0 horizontal, 1 vertical, 2 diagonal. */
export function stripes(
  c1: number,
  c2: number,
  period: number,
  dir: 0 | 1 | 2,
  seed: number,
): Texture {
  return (x, y) => {
    const a = dir === 0 ? y : dir === 1 ? x : x + y;
    const on = ((a / period) % 2 + 2) % 2 < 1;
    return shade(on ? c1 : c2, 1, (hash2(x, y, seed) - 0.5) * 8);
  };
}

/** Leaves: two octaves of noise with dark gaps and light speckles. */
export function foliage(c: number, unit: number, seed: number): Texture {
  return (x, y) => {
    const n = 0.6 * valueNoise(x, y, 3 * unit, 3 * unit, seed) +
      0.4 * valueNoise(x, y, unit, unit, seed + 1);
    const h = hash2(x, y, seed + 2);
    return shade(c, 0.6 + 0.8 * n, h > 0.9 ? 25 : 0);
  };
}

/** Grass: vertically stretched streaks. */
export function grassy(c: number, unit: number, seed: number): Texture {
  return (x, y) => {
    const n = valueNoise(x, y, 0.8 * unit, 3 * unit, seed);
    const m = valueNoise(x, y, 8 * unit, 8 * unit, seed + 1);
    return shade(c, 0.75 + 0.35 * n + 0.2 * (m - 0.5));
  };
}

/** Water: horizontally stretched ripples and sparse glints. */
export function watery(c: number, unit: number, seed: number): Texture {
  return (x, y) => {
    const n = valueNoise(x, y, 6 * unit, 0.7 * unit, seed);
    const glint = hash2(x, y, seed + 3) > 0.985 ? 50 : 0;
    return shade(c, 0.8 + 0.4 * n, glint);
  };
}

/** Speckled granular surfaces (sand, snow, asphalt, soil, carpet). */
export function speckled(
  c: number,
  amp: number,
  unit: number,
  seed: number,
): Texture {
  return (x, y) => {
    const n = valueNoise(x, y, 4 * unit, 4 * unit, seed);
    return shade(c, 1 + 0.25 * (n - 0.5), (hash2(x, y, seed + 5) - 0.5) * amp);
  };
}

/** Stone: irregular cells of varying shade (rock faces, masonry). */
export function stony(c: number, unit: number, seed: number): Texture {
  return (x, y) => {
    const n = valueNoise(x, y, 2.5 * unit, 2 * unit, seed);
    const k = Math.floor(n * 5);
    return shade(c, 0.75 + 0.1 * k, (hash2(x, y, seed + 9) - 0.5) * 10);
  };
}

/** Metal: smooth vertical sheen with a highlight band. */
export function metallic(c: number, y0: number, y1: number): Texture {
  const span = Math.max(1, y1 - y0);
  return (_x, y) => {
    const t = (y - y0) / span;
    const hl = t > 0.2 && t < 0.35 ? 30 : 0;
    return shade(c, 1.1 - 0.3 * t, hl);
  };
}

/** Glass: a tinted pane with a diagonal reflection. */
export function glassy(c: number, unit: number): Texture {
  return (x, y) => {
    const d = ((x + y) / (6 * unit)) % 2;
    return shade(c, 1, d < 0.35 ? 40 : 0);
  };
}
