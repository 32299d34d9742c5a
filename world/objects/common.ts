/**
 * Shared drawing context and the look of each material, so every object made
 * of "wood" or "brick" shares a recognizable texture family.
 */

import type { Canvas, Paint, Texture } from "../canvas.ts";
import type { Rng } from "../rng.ts";
import * as T from "../textures.ts";
import { materialId, type MaterialName, objectId, type ObjectName, partId } from "../vocabulary.ts";

/** What every drawer gets: the canvas, a random stream, the unit size and the image size. */
export interface Ctx {
  c: Canvas;
  rng: Rng;
  /** Pixels per 1/64 of the image side: scales textures and thin strokes. */
  u: number;
  /** Image side in pixels. */
  S: number;
}

/** Base colors per material; drawers jitter them per instance. */
export const PALETTE: Record<MaterialName, number[]> = {
  none: [0x808080],
  brick: [0xa0452e, 0x8e3b2a, 0xb5623f, 0x7a3a2c],
  wood: [0x8b5a2b, 0x6f4520, 0xa8743f, 0x5a3a1e, 0xc29a6b],
  glass: [0x8fb8d8, 0x6f97b5, 0xa9cfe0, 0x5d7c99],
  metal: [0x9aa0a6, 0x7d8288, 0xb8bcc0, 0x5f6469],
  fabric: [0xc23b3b, 0x3b5fc2, 0xe0d8c8, 0x4f9a55, 0xd8a040, 0x7a4fa0],
  foliage: [0x3f7a2e, 0x2f6a35, 0x558a3a, 0x2a5a28],
  grass: [0x5f9e3a, 0x4f8c34, 0x78a845, 0x6a9a40],
  water: [0x2f6f9f, 0x3a7fa8, 0x285a88, 0x3f8f9a],
  snow: [0xf2f5fa, 0xe8eef6, 0xdfe8f2],
  sand: [0xdcc48e, 0xe6d2a0, 0xcdb37a],
  stone: [0x8a8580, 0x9b958c, 0x75716c, 0xa8a095],
  tile: [0xe8e4dc, 0xd0d8dc, 0xc8b8a0, 0x9fb4c0],
  asphalt: [0x4a4a4e, 0x55555a, 0x3e3f44],
  painted: [0xe6dcc8, 0xd8c8a8, 0xb8c8d8, 0xe8c8b8, 0xc8d8b8, 0xf0ece4],
  skin: [0xe8b898, 0xc08a68, 0x8a5a3c, 0xf0c8a8],
  carpet: [0x8a3a3a, 0x5a6a8a, 0xb89a70, 0x6a8a6a],
  rubber: [0x222222, 0x2a2a2a],
  soil: [0x8a6a48, 0x7a5a3a, 0x9a7a55],
  plastic: [0xd0d0d0, 0xc04040, 0x4060c0, 0xe0e0e0],
  paper: [0xe8e0d0],
};

/** A material's typical color, jittered. */
export function baseColor(ctx: Ctx, mat: MaterialName): number {
  return T.jitter(ctx.rng, ctx.rng.pick(PALETTE[mat]), 12);
}

/** Texture for a material; `color` overrides the palette. */
export function surface(
  ctx: Ctx,
  mat: MaterialName,
  color?: number,
  y0 = 0,
  y1 = ctx.S,
): Texture {
  const c = color ?? baseColor(ctx, mat);
  const s = ctx.rng.u32(), u = ctx.u;
  switch (mat) {
    case "brick":
      return T.bricks(c, 0xc8c0b0, 4 * u, 2 * u, s);
    case "wood":
      return T.planks(c, 3 * u, ctx.rng.chance(0.5), s);
    case "glass":
      return T.glassy(c, u);
    case "metal":
      return T.metallic(c, y0, y1);
    case "fabric":
      return ctx.rng.chance(0.3)
        ? T.stripes(c, T.shade(c, 0.7), 2 * u, ctx.rng.int(0, 2) as 0 | 1 | 2, s)
        : T.blotchy(c, 0.3, 3 * u, s, 5);
    case "foliage":
      return T.foliage(c, u, s);
    case "grass":
      return T.grassy(c, u, s);
    case "water":
      return T.watery(c, u, s);
    case "snow":
      return T.speckled(c, 10, u, s);
    case "sand":
      return T.speckled(c, 24, u, s);
    case "stone":
      return T.stony(c, u, s);
    case "tile":
      return T.tiles(c, T.shade(c, 0.85), 4 * u, T.shade(c, 0.6), s);
    case "asphalt":
      return T.speckled(c, 20, u, s);
    case "painted":
      return T.blotchy(c, 0.08, 8 * u, s, 3);
    case "skin":
      return T.solid(c, 3, s);
    case "carpet":
      return T.speckled(c, 30, 0.5 * u, s);
    case "rubber":
      return T.solid(c, 4, s);
    case "soil":
      return T.speckled(c, 26, 1.5 * u, s);
    case "plastic":
      return T.solid(c, 2, s);
    case "paper":
      return T.solid(c, 4, s);
    default:
      return T.solid(c, 0, s);
  }
}

/** Build a Paint from names (object, part or "", material) and a texture. */
export function paint(
  object: ObjectName,
  part: string,
  material: MaterialName,
  tex: Texture,
): Paint {
  return {
    object: objectId(object),
    part: part ? partId(part) : 0,
    material: materialId(material),
    tex,
  };
}

/** Shorthand: paint with a material texture from `surface`. */
export function mat(
  ctx: Ctx,
  object: ObjectName,
  part: string,
  material: MaterialName,
  color?: number,
  y0?: number,
  y1?: number,
): Paint {
  return paint(object, part, material, surface(ctx, material, color, y0, y1));
}
