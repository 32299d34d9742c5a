/**
 * World v2's extra scene classes and its church framing. v2 keeps v1's 14
 * classes (same ids, same drawers) and adds 26 built from the same objects,
 * parts and materials. Most new classes are near neighbours of an old one
 * (bedroom / hotel_room / dorm_room, lake / river, street / alley, ...): same
 * things in other proportions or arrangements, so that a good classifier is
 * not a perfect one, as on Places365.
 */

import { rect } from "./canvas.ts";
import { band, depth, Queue, recede, room, wavyBand } from "./layout.ts";
import { building, HOUSE, pier } from "./objects/buildings.ts";
import { type Ctx, mat } from "./objects/common.ts";
import * as F from "./objects/furniture.ts";
import { mountains, tree } from "./objects/nature.ts";
import { airplaneSide, car, person } from "./objects/vehicles.ts";
import {
  boats,
  buildingsRow,
  cars,
  count,
  dir,
  type Draw,
  fenceAt,
  floorAt,
  flyingPlanes,
  hangingLamps,
  indoor,
  lights,
  outdoor,
  people,
  rocks,
  ROOM_BASE,
  trees,
  wallThings,
  yIn,
} from "./scenes.ts";
import type { MaterialName, SceneV2Extra } from "./vocabulary.ts";
import { hash, Rng } from "./rng.ts";

// ---- outdoor natural ----

/** A river: water between two banks, both in view (lake: one far shore). */
const river: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.3, 0.5, 3);
  if (rng.chance(0.3)) mountains(ctx, hz, S * rng.range(0.08, 0.2), 0.2);
  band(ctx, hz, S + 1, "grass", "grass");
  const vx = rng.range(0.3, 0.7) * S;
  recede(ctx, hz, vx, S * rng.range(0.5, 0.9), S * 0.04, "water", "water");
  const q = new Queue();
  trees(ctx, q, hz, { n: rng.int(2, 7), pine: 0.4, ys: { a: 0, b: 1 }, size: 0.9, autumn: 0.15 });
  rocks(ctx, q, hz, count(ctx, 0.4, 1, 3), { a: 0.2, b: 1 });
  people(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0.3, b: 1 });
  if (rng.chance(0.15)) fenceAt(ctx, q, hz, { a: 0.2, b: 1 });
  q.flush();
};

/** A rocky coast: beach's water and shore, but rocks instead of bathers. */
const coast: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.3, 0.5, 4);
  band(ctx, hz, S + 1, "water", "water");
  const shore = hz + (S - hz) * rng.range(0.3, 0.65);
  const g = rng.weighted([3, 2, 2]);
  const [obj, m] = ([["sand", "sand"], ["ground", "stone"], ["grass", "grass"]] as const)[g];
  wavyBand(ctx, shore, S * 0.1, obj, m);
  const frac = (shore - hz) / (S - hz);
  const q = new Queue();
  rocks(ctx, q, hz, rng.int(2, 6), { a: frac * 0.6, b: 1 });
  boats(ctx, q, hz, count(ctx, 0.2, 1, 1), { a: 0.02, b: frac * 0.6 }, 0.6);
  people(ctx, q, hz, count(ctx, 0.15, 1, 2), { a: frac, b: 1 });
  if (rng.chance(0.25)) {
    const y = yIn(ctx, hz, frac, frac + 0.15), x = rng.range(0.1, 0.9) * S;
    const s = depth(ctx, hz, y);
    q.add(y, () => building(ctx, x, y, S * 0.25 * s, S * 0.35 * s, { ...HOUSE, roof: [1, 0, 0] }));
  }
  q.flush();
  flyingPlanes(ctx, hz, 0.03);
};

/** Many small boats moored along a pier (harbor: a few large boats, a quay). */
const marina: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.3, 0.45, 3);
  if (rng.chance(0.3)) {
    const q0 = new Queue();
    trees(ctx, q0, hz, { n: rng.int(3, 8), pine: 0.3, ys: { a: 0, b: 0.01 }, size: 0.4 });
    q0.flush();
  }
  band(ctx, hz, S + 1, "water", "water");
  const q = new Queue();
  const rows = rng.int(1, 2);
  for (let r = 0; r < rows; r++) {
    const y = yIn(ctx, hz, 0.25 + 0.35 * r, 0.4 + 0.35 * r);
    q.add(y + 0.5, () => pier(ctx, -1, S + 1, y, S * 0.025));
  }
  boats(ctx, q, hz, rng.int(4, 9), { a: 0.05, b: 0.95 }, 0.55);
  people(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: 0.3, b: 1 });
  lights(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0.5, b: 1 });
  q.flush();
};

/** Open grassland, maybe fenced, few trees (park: paths, benches, people). */
const field: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.6, 5);
  if (rng.chance(0.25)) mountains(ctx, hz, S * rng.range(0.05, 0.15), 0.1);
  band(ctx, hz, S + 1, "grass", "grass");
  if (rng.chance(0.3)) band(ctx, yIn(ctx, hz, 0.3, 0.7), S + 1, "ground", "soil");
  const q = new Queue();
  trees(ctx, q, hz, { n: count(ctx, 0.6, 1, 3), pine: 0.3, ys: { a: 0, b: 0.3 }, size: 0.8 });
  if (rng.chance(0.4)) fenceAt(ctx, q, hz, { a: 0.1, b: 1 });
  rocks(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0.1, b: 1 });
  people(ctx, q, hz, count(ctx, 0.1, 1, 1), { a: 0.2, b: 1 });
  q.flush();
  flyingPlanes(ctx, hz, 0.04);
};

/** A farm: one house and a barn on fields behind a fence. */
const farm: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.4, 0.6, 4);
  band(ctx, hz, S + 1, "grass", "grass");
  const soil = yIn(ctx, hz, 0.25, 0.6);
  band(ctx, soil, soil + (S - hz) * rng.range(0.15, 0.35), "ground", "soil");
  const q = new Queue();
  for (let i = rng.int(1, 2); i > 0; i--) {
    const y = yIn(ctx, hz, 0.02, 0.2), x = rng.range(0.15, 0.85) * S, s = depth(ctx, hz, y);
    q.add(y, () =>
      building(ctx, x, y, S * rng.range(0.35, 0.55) * s, S * 0.3 * s, {
        ...HOUSE,
        roof: [5, 1, 0],
        windows: 0.5,
      }));
  }
  fenceAt(ctx, q, hz, { a: 0.2, b: 1 });
  trees(ctx, q, hz, { n: count(ctx, 0.6, 1, 4), pine: 0.2, ys: { a: 0, b: 0.4 }, size: 0.8 });
  people(ctx, q, hz, count(ctx, 0.2, 1, 2), { a: 0.2, b: 1 });
  cars(ctx, q, hz, count(ctx, 0.15, 1, 1), { a: 0.1, b: 0.6 });
  q.flush();
};

/** Dense pines with no path (forest_path: mixed trees along a path). */
const pineForest: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.3, 0.5, 2);
  band(ctx, hz, S + 1, rng.chance(0.5) ? "ground" : "grass", rng.chance(0.5) ? "soil" : "grass");
  if (rng.chance(0.25)) wavyBand(ctx, yIn(ctx, hz, 0.3, 0.7), S * 0.05, "snow", "snow");
  const q = new Queue();
  trees(ctx, q, hz, { n: rng.int(10, 20), pine: 0.95, ys: { a: 0, b: 1 }, size: 1.1, autumn: 0 });
  rocks(ctx, q, hz, count(ctx, 0.4, 1, 3), { a: 0, b: 1 });
  people(ctx, q, hz, count(ctx, 0.1, 1, 1), { a: 0.3, b: 1 });
  q.flush();
};

/** Snow to the horizon, hardly anything on it (ski_resort: slopes, skiers, lodges). */
const snowfield: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.6, 3);
  if (rng.chance(0.6)) mountains(ctx, hz, S * rng.range(0.05, 0.2), 0.9);
  band(ctx, hz, S + 1, "snow", "snow");
  const q = new Queue();
  trees(ctx, q, hz, {
    n: count(ctx, 0.4, 1, 3),
    pine: 0.9,
    ys: { a: 0, b: 0.5 },
    size: 0.7,
    autumn: 0,
  });
  rocks(ctx, q, hz, count(ctx, 0.5, 1, 3), { a: 0, b: 1 });
  people(ctx, q, hz, count(ctx, 0.25, 1, 2), { a: 0.2, b: 1 });
  if (rng.chance(0.15)) fenceAt(ctx, q, hz, { a: 0.2, b: 1 });
  q.flush();
};

// ---- outdoor built ----

/** A square paved for people: buildings around, no traffic (street: a road with cars). */
const plaza: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.4, 0.6, 3);
  const q0 = new Queue();
  buildingsRow(ctx, q0, hz + 1, rng.range(-0.2, 0) * S, S, 0.12, 0.35, {
    ...HOUSE,
    door: 0.8,
    dome: 0.1,
    steeple: 0.1,
    arched: rng.chance(0.3),
  });
  q0.flush();
  band(ctx, hz, S + 1, "path", rng.pick<MaterialName>(["stone", "tile", "stone"]));
  const q = new Queue();
  people(ctx, q, hz, rng.int(2, 7), { a: 0, b: 1 });
  lights(ctx, q, hz, count(ctx, 0.5, 1, 3), { a: 0, b: 1 });
  trees(ctx, q, hz, { n: count(ctx, 0.3, 1, 2), pine: 0, ys: { a: 0.1, b: 1 }, size: 0.7 });
  for (let i = count(ctx, 0.3, 1, 3); i > 0; i--) {
    const y = yIn(ctx, hz, 0.2, 1), x = rng.range(0.1, 0.9) * S, s = depth(ctx, hz, y);
    q.add(y, () => F.chair(ctx, x, y, S * 0.25 * s));
  }
  q.flush();
};

/** A narrow lane between tall walls that fill both sides of the frame. */
const alley: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.45, 0.6, 1);
  const vx = rng.range(0.4, 0.6) * S;
  band(ctx, hz, S + 1, "road", rng.pick<MaterialName>(["asphalt", "stone"]));
  const side = { ...HOUSE, door: 0.6, windows: 0.9, roof: [0, 3, 1] as [number, number, number] };
  const q = new Queue();
  q.add(0, () => building(ctx, vx - S * 0.42, S + 1, S * 0.55, S * rng.range(0.75, 1), side));
  q.add(0, () => building(ctx, vx + S * 0.42, S + 1, S * 0.55, S * rng.range(0.75, 1), side));
  people(ctx, q, hz, count(ctx, 0.4, 1, 2), { a: 0.1, b: 1 });
  cars(ctx, q, hz, count(ctx, 0.2, 1, 1), { a: 0.2, b: 0.8 });
  lights(ctx, q, hz, count(ctx, 0.3, 1, 1), { a: 0.2, b: 1 });
  q.flush();
};

/** Houses with gardens and trees along a quiet road (street: shops, traffic, lane marks). */
const residentialStreet: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.45, 0.62, 3);
  const q0 = new Queue();
  buildingsRow(ctx, q0, hz + 1, rng.range(-0.2, 0) * S, S, 0.12, 0.25, {
    ...HOUSE,
    roof: [6, 1, 0],
  });
  trees(ctx, q0, hz, { n: rng.int(1, 4), pine: 0.2, ys: { a: 0, b: 0.02 }, size: 0.6 });
  q0.flush();
  const lawn = hz + (S - hz) * rng.range(0.15, 0.35);
  band(ctx, hz, lawn, "grass", "grass");
  band(ctx, lawn, S + 1, "road", "asphalt");
  const q = new Queue();
  const lf = (lawn - hz) / (S - hz);
  trees(ctx, q, hz, { n: rng.int(1, 3), pine: 0.2, ys: { a: 0, b: lf }, size: 0.8 });
  cars(ctx, q, hz, count(ctx, 0.6, 1, 2), { a: lf + 0.05, b: 1 });
  people(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: 0, b: lf });
  if (rng.chance(0.3)) fenceAt(ctx, q, hz, { a: 0, b: lf });
  q.flush();
};

/** Scattered small houses on grass with trees (park: no houses in the field). */
const village: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.55, 4);
  if (rng.chance(0.3)) mountains(ctx, hz, S * rng.range(0.08, 0.2), 0.3);
  band(ctx, hz, S + 1, "grass", "grass");
  if (rng.chance(0.5)) recede(ctx, hz, rng.range(0.2, 0.8) * S, S * 0.3, S * 0.03, "path", "soil");
  const q = new Queue();
  for (let i = rng.int(2, 5); i > 0; i--) {
    const y = yIn(ctx, hz, 0, 0.6), x = rng.range(0, 1) * S, s = depth(ctx, hz, y);
    q.add(y, () =>
      building(ctx, x, y, S * 0.35 * s, S * 0.25 * s, {
        ...HOUSE,
        steeple: 0.08,
        roof: [6, 0, 0],
      }));
  }
  trees(ctx, q, hz, { n: rng.int(1, 5), pine: 0.3, ys: { a: 0, b: 1 }, size: 0.8 });
  people(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: 0.2, b: 1 });
  if (rng.chance(0.3)) fenceAt(ctx, q, hz, { a: 0.2, b: 1 });
  q.flush();
};

/** Rows of parked cars on asphalt (street: buildings and a sidewalk). */
const parkingLot: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.35, 0.55, 3);
  const q0 = new Queue();
  if (rng.chance(0.5)) {
    const x = rng.range(0.2, 0.8) * S;
    q0.add(hz, () =>
      building(ctx, x, hz + 1, S * rng.range(0.4, 0.8), S * rng.range(0.08, 0.18), {
        ...HOUSE,
        roof: [0, 5, 1],
      }));
  }
  trees(ctx, q0, hz, { n: count(ctx, 0.4, 2, 6), pine: 0.2, ys: { a: 0, b: 0.01 }, size: 0.5 });
  q0.flush();
  band(ctx, hz, S + 1, "road", "asphalt");
  for (let y = hz + (S - hz) * 0.2; y < S; y += (S - hz) * 0.3) {
    for (let x = rng.range(0, 0.1) * S; x < S; x += 0.18 * S) {
      ctx.c.fill(
        rect(x, y, Math.max(1, ctx.u), (S - hz) * 0.12 * depth(ctx, hz, y)),
        mat(ctx, "road", "", "painted", 0xf0f0f0),
      );
    }
  }
  const q = new Queue();
  cars(ctx, q, hz, rng.int(3, 8), { a: 0.05, b: 1 });
  people(ctx, q, hz, count(ctx, 0.3, 1, 2), { a: 0.1, b: 1 });
  lights(ctx, q, hz, count(ctx, 0.5, 1, 2), { a: 0.1, b: 1 });
  q.flush();
};

/** A runway seen along its length, planes far or none (airfield: parked planes beside it). */
const runway: Draw = (ctx) => {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.4, 0.6, 4);
  band(ctx, hz, S + 1, "grass", "grass");
  const vx = rng.range(0.35, 0.65) * S;
  recede(ctx, hz, vx, S * rng.range(0.8, 1.3), S * 0.05, "road", "asphalt");
  for (let t = 0.1; t < 1; t += 0.2) {
    const y = hz + (S - hz) * t, x = vx + (S / 2 - vx) * t;
    ctx.c.fill(
      rect(x - ctx.u * 0.5 * (1 + t), y, ctx.u * (1 + t), (S - hz) * 0.08),
      mat(ctx, "road", "", "painted", 0xf0f0f0),
    );
  }
  const q = new Queue();
  if (rng.chance(0.35)) {
    const y = yIn(ctx, hz, 0.05, 0.3), x = vx + rng.range(-0.1, 0.1) * S;
    const w = S * 0.6 * depth(ctx, hz, y), d = dir(ctx);
    q.add(y, () => airplaneSide(ctx, x, y - w * 0.12, w, d, true));
  }
  lights(ctx, q, hz, count(ctx, 0.3, 2, 4), { a: 0.1, b: 1 });
  if (rng.chance(0.3)) fenceAt(ctx, q, hz, { a: 0.6, b: 1 });
  q.flush();
  flyingPlanes(ctx, hz, 0.4);
};

// ---- indoor ----

/** A parking garage or workshop: cars indoors (hangar: planes indoors). */
const garage: Draw = (ctx) => {
  const { rng, S } = ctx;
  const r = room(ctx, rng.pick<MaterialName>(["brick", "painted", "metal"]), "asphalt", 0.9);
  if (rng.chance(0.3)) wallThings(ctx, r, 1, 0);
  hangingLamps(ctx, r, count(ctx, 0.7, 1, 2));
  const q = new Queue();
  for (let i = rng.int(1, 3); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.1, 0.9), x = rng.range(0.1, 0.9) * S, d = dir(ctx);
    q.add(y, () => car(ctx, x, y, S * 0.6 * s, d));
  }
  for (let i = count(ctx, 0.6, 1, 3); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0, 0.2), x = rng.range(0.1, 0.9) * S;
    q.add(y, () => F.cabinet(ctx, x, y, S * 0.2 * s, S * 0.35 * s));
  }
  for (let i = count(ctx, 0.3, 1, 2); i > 0; i--) {
    const { y, s } = floorAt(ctx, r, 0.2, 1), x = rng.range(0.1, 0.9) * S;
    q.add(y, () => person(ctx, x, y, S * 0.6 * s));
  }
  q.flush();
};

const hotelRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "painted", "wood"],
    floor: ["carpet", "carpet", "wood"],
    bed: 0.95,
    table: 0.5,
    chairs: 0.4,
    lamp: 0.9,
    cabinet: 0.3,
    painting: 0.85,
    window: 0.8,
    hanging: 0.05,
    plant: 0.1,
  });

const dormRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "brick"],
    floor: ["tile", "wood", "carpet"],
    bed: 0.9,
    table: 0.85,
    chairs: 0.8,
    lamp: 0.5,
    cabinet: 0.8,
    painting: 0.3,
    window: 0.5,
    person: 0.2,
    hanging: 0.4,
  });

const diningRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    floor: ["wood", "tile", "carpet"],
    table: 0.95,
    chairs: 0.95,
    chairsMax: 5,
    cabinet: 0.45,
    painting: 0.6,
    window: 0.6,
    rug: 0.35,
    plant: 0.3,
    hanging: 0.8,
    person: 0.1,
  });

const kitchenette: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "tile", "wood"],
    floor: ["wood", "tile", "carpet"],
    counter: 0.85,
    oven: 0.2,
    sofa: 0.5,
    table: 0.4,
    chairs: 0.3,
    lamp: 0.3,
    painting: 0.3,
    window: 0.5,
    rug: 0.2,
    plant: 0.2,
  });

const office: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "painted", "wood"],
    floor: ["carpet", "tile", "wood"],
    table: 0.95,
    tablesMax: 2,
    chairs: 0.9,
    lamp: 0.6,
    cabinet: 0.85,
    painting: 0.3,
    window: 0.7,
    plant: 0.45,
    person: 0.35,
    hanging: 0.3,
  });

const conferenceRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "wood"],
    floor: ["carpet", "carpet", "wood"],
    table: 1,
    chairs: 1,
    chairsMax: 6,
    painting: 0.5,
    window: 0.6,
    plant: 0.2,
    person: 0.3,
    hanging: 0.9,
  });

const waitingRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "painted", "tile"],
    floor: ["tile", "carpet"],
    chairs: 1,
    chairsMax: 6,
    sofa: 0.3,
    table: 0.35,
    painting: 0.6,
    window: 0.3,
    plant: 0.6,
    person: 0.45,
    hanging: 0.5,
  });

const lobby: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["stone", "painted", "wood"],
    floor: ["stone", "tile", "carpet"],
    sofa: 0.7,
    table: 0.5,
    chairs: 0.5,
    lamp: 0.4,
    painting: 0.5,
    window: 0.7,
    rug: 0.5,
    plant: 0.85,
    person: 0.6,
    hanging: 0.7,
  });

const artGallery: Draw = (ctx) => {
  const { rng } = ctx;
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "painted", "brick"],
    floor: ["wood", "stone", "tile"],
    chairs: 0.15,
    person: 0.5,
    hanging: 0.6,
    plant: 0.1,
  });
  // Rows of paintings along the wall, the gallery's defining feature.
  const S = ctx.S, y = S * rng.range(0.15, 0.3);
  for (let x = rng.range(-0.05, 0.1) * S; x < S * 0.9; x += S * rng.range(0.22, 0.34)) {
    const w = S * rng.range(0.12, 0.2);
    F.painting(ctx, x, y + S * rng.range(-0.03, 0.03), w, w * rng.range(0.7, 1.3));
  }
};

const restaurant: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["brick", "wood", "painted"],
    floor: ["wood", "tile", "stone"],
    table: 1,
    tablesMax: 3,
    chairs: 1,
    chairsMax: 6,
    counter: 0.2,
    painting: 0.5,
    window: 0.5,
    plant: 0.3,
    person: 0.7,
    hanging: 0.7,
  });

const storageRoom: Draw = (ctx) =>
  indoor(ctx, {
    ...ROOM_BASE,
    wall: ["painted", "brick", "wood", "metal"],
    floor: ["stone", "wood", "tile"],
    cabinet: 1,
    counter: 0.3,
    table: 0.3,
    chairs: 0.15,
    window: 0.15,
    hanging: 0.6,
  });

/** Drawers of the classes v2 adds, keyed by name. */
export const SCENE_DRAWERS_V2: Record<SceneV2Extra, Draw> = {
  river,
  coast,
  marina,
  field,
  farm,
  pine_forest: pineForest,
  snowfield,
  plaza,
  alley,
  residential_street: residentialStreet,
  village,
  parking_lot: parkingLot,
  runway,
  garage,
  hotel_room: hotelRoom,
  dorm_room: dormRoom,
  dining_room: diningRoom,
  kitchenette,
  office,
  conference_room: conferenceRoom,
  waiting_room: waitingRoom,
  lobby,
  art_gallery: artGallery,
  restaurant,
  storage_room: storageRoom,
  church_facade: (ctx) => churchFacade(ctx, { treeP: 0.5, treeMax: 3, doorP: 0.8 }),
};

/**
 * World v2's groups of near-neighbour classes. Places365's categories
 * overlap (a hotel room is a bedroom; a marina is a harbor), so no classifier
 * can tell every image's label from its content; v2 gives its classes that
 * property: an image of a grouped class is drawn, with probability
 * `AMBIGUITY_V2`, as another class of its group (its label unchanged). The
 * best possible top-1 on v2 is then 1 - AMBIGUITY_V2.
 */
export const NEIGHBOURS_V2: readonly (readonly string[])[] = [
  ["lake", "river"],
  ["beach", "coast"],
  ["harbor", "marina"],
  ["park", "field"],
  ["farm", "village"],
  ["forest_path", "pine_forest"],
  ["ski_resort", "snowfield", "mountain"],
  ["street", "residential_street", "parking_lot"],
  ["plaza", "alley"],
  ["airfield", "runway"],
  ["hangar", "garage", "storage_room"],
  ["bedroom", "hotel_room", "dorm_room"],
  ["kitchen", "kitchenette"],
  ["dining_room", "restaurant"],
  ["living_room", "waiting_room"],
  ["lobby", "art_gallery"],
  ["office", "conference_room"],
  ["church_outdoor", "church_facade"],
];

/** How often an image of a grouped v2 class is drawn as another class of its group. */
export const AMBIGUITY_V2 = 0.3;

/**
 * The class (by name) whose drawer renders a v2 scene image of class `name`
 * with item seed `seed`: its own, or with probability AMBIGUITY_V2 another of
 * its group, each alike. Drawn from the seed alone, so the image's own random
 * stream (and so every image drawn as its own class) is as it would be without it.
 */
export function drawnAs(name: string, seed: number): string {
  const group = NEIGHBOURS_V2.find((g) => g.includes(name));
  if (!group) return name;
  const rng = new Rng(hash(seed, 0xa3b1e));
  if (!rng.chance(AMBIGUITY_V2)) return name;
  const others = group.filter((n) => n !== name);
  return others[rng.int(0, others.length - 1)];
}

/** Options of a facade-framed church scene. */
export interface FacadeOpts {
  treeP: number;
  treeMax: number;
  doorP: number;
}

/**
 * A church framed as LSUN's church photos are: the building fills most of the
 * frame, so its doors and windows are tens of pixels at 112 px, with a strip
 * of sky above and of ground below, trees in front or at the sides.
 */
export function churchFacade(ctx: Ctx, o: FacadeOpts): void {
  const { rng, S } = ctx;
  const hz = outdoor(ctx, 0.78, 0.92, 3);
  const q0 = new Queue();
  const cx = rng.range(0.4, 0.6) * S, w = S * rng.range(0.65, 1.05);
  trees(ctx, q0, hz, {
    n: count(ctx, o.treeP * 0.6, 1, 3),
    pine: 0.3,
    ys: { a: 0, b: 0.02 },
    size: 1.4,
  });
  q0.add(hz + 0.5, () =>
    building(ctx, cx, hz + 1, w, S * rng.range(0.32, 0.52), {
      door: o.doorP,
      dome: 0.3,
      steeple: 0.7,
      windows: 0.95,
      arched: rng.chance(0.8),
      roof: [5, 1, 0],
      // Facades seen close up show more and larger windows than v1's distant churches.
      windowWidth: [0.09, 0.17],
      windowPitch: [1.5, 2.4],
    }));
  q0.flush();
  const g = rng.weighted([5, 3, 2]);
  if (g === 0) band(ctx, hz, S + 1, "grass", "grass");
  else if (g === 1) band(ctx, hz, S + 1, "road", rng.pick<MaterialName>(["asphalt", "stone"]));
  else band(ctx, hz, S + 1, "path", "stone");
  const q = new Queue();
  const near = (n: number) => {
    for (let i = 0; i < n; i++) {
      const y = yIn(ctx, hz, 0.2, 1),
        x = rng.chance(0.5) ? rng.range(-0.1, 0.3) * S : rng.range(0.7, 1.1) * S;
      const h = S * rng.range(0.45, 0.9);
      const kind = rng.chance(0.3) ? "pine" : "round";
      q.add(y, () => tree(ctx, x, y, h, kind));
    }
  };
  near(count(ctx, o.treeP, 1, o.treeMax));
  people(ctx, q, hz, count(ctx, 0.3, 1, 3), { a: 0.1, b: 1 });
  cars(ctx, q, hz, count(ctx, 0.1, 1, 1), { a: 0.3, b: 1 });
  if (rng.chance(0.15)) fenceAt(ctx, q, hz, { a: 0.3, b: 1 });
  lights(ctx, q, hz, count(ctx, 0.1, 1, 1), { a: 0.3, b: 1 });
  q.flush();
}

/** v2's GAN family: facade-framed churches where trees and doors are frequent. */
export const churchFamilyV2: Draw = (ctx) =>
  churchFacade(ctx, { treeP: 0.85, treeMax: 4, doorP: 0.9 });
