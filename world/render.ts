/**
 * Renders one split item: draw the composition, apply photometric jitter
 * (which changes pixels, never labels), then derive the half-box map.
 */

import { Canvas } from "./canvas.ts";
import { focalScene } from "./focal.ts";
import { halfBoxFlags } from "../dissection/half_parts.ts";
import type { Ctx } from "./objects/common.ts";
import { hash2, Rng } from "./rng.ts";
import { churchFamily, SCENE_DRAWERS } from "./scenes.ts";
import type { SplitItem, SplitName } from "./splits.ts";
import { churchFamilyV2, drawnAs, SCENE_DRAWERS_V2 } from "./scenes_v2.ts";
import {
  FOCAL_OBJECTS,
  type SceneName,
  SCENES,
  scenesOf,
  type SceneV2Extra,
  type WorldVersion,
} from "./vocabulary.ts";

/** One rendered image with its exact ground-truth maps. */
export interface Rendered {
  width: number;
  height: number;
  /** H*W*3 interleaved RGB, row-major. */
  rgb: Uint8Array;
  /** H*W object ids (every pixel has one). */
  object: Uint8Array;
  /** H*W part ids, 0 = none. */
  part: Uint8Array;
  /** H*W material ids, 0 = none. */
  material: Uint8Array;
  /** H*W half-box flags: top=1, bottom=2, left=4, right=8. */
  halfbox: Uint8Array;
  /** Index into labelSpace(split). */
  label: number;
}

/** Global lighting change, color cast and sensor noise. */
function photometric(rgb: Uint8Array, rng: Rng): void {
  const gain = rng.range(0.7, 1.2);
  const tint = [rng.range(0.93, 1.07), rng.range(0.95, 1.05), rng.range(0.93, 1.07)];
  const noise = rng.range(2, 9);
  const seed = rng.u32();
  for (let i = 0; i < rgb.length; i++) {
    const v = rgb[i] * gain * tint[i % 3] + (hash2(i, 0, seed) - 0.5) * 2 * noise;
    rgb[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
}

/** Render one item of a split of a world generation at size x size pixels. */
export function renderItem(
  split: SplitName,
  item: SplitItem,
  size = 64,
  version: WorldVersion = 1,
): Rendered {
  if (!Number.isInteger(size) || size < 16) throw new Error(`bad image size ${size}`);
  const c = new Canvas(size, size);
  const rng = new Rng(item.seed);
  const ctx: Ctx = { c, rng: rng.fork(1), u: size / 64, S: size };
  if (split === "objects") focalScene(ctx, FOCAL_OBJECTS[item.label]);
  else if (split === "church") (version === 1 ? churchFamily : churchFamilyV2)(ctx);
  else if (version === 1 && item.label < SCENES.length) SCENE_DRAWERS[SCENES[item.label]](ctx);
  else if (version === 2 && item.label < scenesOf(2).length) {
    const name = drawnAs(scenesOf(2)[item.label], item.seed);
    if ((SCENES as readonly string[]).includes(name)) SCENE_DRAWERS[name as SceneName](ctx);
    else SCENE_DRAWERS_V2[name as SceneV2Extra](ctx);
  } else throw new Error(`scene label ${item.label} is not a class of world v${version}`);
  photometric(c.rgb, rng.fork(2));
  return {
    width: size,
    height: size,
    rgb: c.rgb,
    object: c.object,
    part: c.part,
    material: c.material,
    halfbox: halfBoxFlags(c.object, size, size),
    label: item.label,
  };
}
