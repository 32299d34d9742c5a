/**
 * The object-centric split: one large focal object on a varied background
 * that contains no other focal-object class, so the image label is exactly
 * "which focal object is present".
 */

import { band, room, wavyBand } from "./layout.ts";
import { building, HOUSE } from "./objects/buildings.ts";
import type { Ctx } from "./objects/common.ts";
import * as F from "./objects/furniture.ts";
import { clouds, mountains, sky, tree } from "./objects/nature.ts";
import { airplaneBelow, airplaneSide, boat, car, person } from "./objects/vehicles.ts";
import type { MaterialName } from "./vocabulary.ts";
import { FOCAL_OBJECTS } from "./vocabulary.ts";

type Focal = typeof FOCAL_OBJECTS[number];

const INDOOR_FIRST: ReadonlySet<Focal> = new Set<Focal>([
  "bed",
  "chair",
  "sofa",
  "table",
  "lamp",
  "oven",
  "cabinet",
  "painting",
  "plant",
]);

/** Background: returns the y of the floor/ground line objects stand on. */
function background(ctx: Ctx, indoors: boolean, water: boolean): number {
  const { rng, S } = ctx;
  if (indoors) {
    const r = room(
      ctx,
      rng.pick<MaterialName>(["painted", "brick", "tile", "wood", "metal"]),
      rng.pick<MaterialName>(["wood", "carpet", "tile", "stone"]),
      0.4,
    );
    if (rng.chance(0.3)) {
      F.windowObj(ctx, rng.range(0, 0.7) * S, Math.max(r.top, 0) + S * 0.05, S * 0.25, S * 0.2);
    }
    if (rng.chance(0.3)) F.rug(ctx, S / 2, r.floor + (S - r.floor) * 0.6, S * 0.7, S * 0.15);
    return r.floor;
  }
  const hz = S * rng.range(0.35, 0.65);
  sky(ctx, hz);
  clouds(ctx, rng.int(0, 3), hz * 0.8);
  if (rng.chance(0.25)) mountains(ctx, hz, S * rng.range(0.08, 0.25), 0.4);
  if (water) {
    band(ctx, hz, S + 1, "water", "water");
    if (rng.chance(0.3)) wavyBand(ctx, S * rng.range(0.85, 0.95), S * 0.03, "sand", "sand");
    return hz;
  }
  const g = rng.weighted([4, 2, 2, 1, 1, 1]);
  const grounds = [
    ["grass", "grass"],
    ["road", "asphalt"],
    ["ground", "soil"],
    ["sand", "sand"],
    ["snow", "snow"],
    ["path", "stone"],
  ] as const;
  band(ctx, hz, S + 1, grounds[g][0], grounds[g][1]);
  return hz;
}

/** Render one focal object image into ctx. */
export function focalScene(ctx: Ctx, label: Focal): void {
  const { rng, S } = ctx;
  const indoors = INDOOR_FIRST.has(label) ? rng.chance(0.8) : rng.chance(0.1);
  const water = label === "boat";
  const flying = label === "airplane" && rng.chance(0.5);
  const line = background(ctx, indoors && !water && !flying, water);
  const x = S * rng.range(0.35, 0.65);
  const y = line + (S - line) * rng.range(0.35, 0.9);
  const k = rng.range(0.75, 1.15); // scale jitter
  const d = rng.chance(0.5) ? 1 : -1;
  switch (label) {
    case "airplane":
      if (flying) {
        if (rng.chance(0.5)) airplaneBelow(ctx, x, S * rng.range(0.3, 0.6), S * 0.8 * k, d);
        else airplaneSide(ctx, x, S * rng.range(0.3, 0.6), S * 0.85 * k, d, false);
      } else airplaneSide(ctx, x, y - S * 0.1 * k, S * 0.9 * k, d, true);
      break;
    case "car":
      car(ctx, x, y, S * 0.75 * k, d);
      break;
    case "boat":
      boat(ctx, x, y, S * 0.7 * k, d);
      break;
    case "tree":
      tree(ctx, x, y, S * 0.75 * k, rng.chance(0.4) ? "pine" : "round", rng.chance(0.15));
      break;
    case "building":
      building(ctx, x, y, S * 0.6 * k, S * 0.4 * k, {
        ...HOUSE,
        dome: 0.15,
        steeple: 0.2,
        arched: rng.chance(0.3),
      });
      break;
    case "person":
      person(ctx, x, y, S * 0.75 * k);
      break;
    case "bed":
      F.bed(ctx, x, y, S * 0.85 * k);
      break;
    case "chair":
      F.chair(ctx, x, y, S * 0.6 * k);
      break;
    case "sofa":
      F.sofa(ctx, x, y, S * 0.8 * k);
      break;
    case "table":
      F.table(ctx, x, y, S * 0.65 * k, S * 0.35 * k);
      break;
    case "lamp":
      F.lamp(ctx, x, y, S * 0.7 * k);
      break;
    case "oven":
      F.oven(ctx, x, y, S * 0.45 * k, S * 0.5 * k);
      break;
    case "cabinet":
      F.cabinet(ctx, x, y, S * 0.5 * k, S * 0.5 * k, rng.chance(0.3));
      break;
    case "painting": {
      const w = S * 0.55 * k, h = w * rng.range(0.6, 1);
      F.painting(ctx, x - w / 2, Math.max(1, line - h - S * 0.05), w, h);
      break;
    }
    case "plant":
      F.plant(ctx, x, y, S * 0.55 * k);
      break;
  }
}
