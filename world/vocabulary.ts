/**
 * The label spaces of the synthetic world. Ids are array indices and must stay
 * stable: they are written into split files and read by the training scripts.
 * Index 0 of objects, parts and materials is "none" so 0 can mean "unlabeled".
 */

/** World v1's scene classes (ids are indices). */
export const SCENES = [
  "ski_resort",
  "mountain",
  "beach",
  "harbor",
  "lake",
  "forest_path",
  "park",
  "church_outdoor",
  "street",
  "airfield",
  "hangar",
  "bedroom",
  "kitchen",
  "living_room",
] as const;

/** The classes world v2 adds after v1's (ids 14..39); v1's ids are unchanged. */
export const SCENES_V2_EXTRA = [
  "river",
  "coast",
  "marina",
  "field",
  "farm",
  "pine_forest",
  "snowfield",
  "plaza",
  "alley",
  "residential_street",
  "village",
  "parking_lot",
  "runway",
  "garage",
  "hotel_room",
  "dorm_room",
  "dining_room",
  "kitchenette",
  "office",
  "conference_room",
  "waiting_room",
  "lobby",
  "art_gallery",
  "restaurant",
  "storage_room",
  "church_facade",
] as const;
/** A v1 scene class name. */
export type SceneName = typeof SCENES[number];
/** A class name that only world v2 has. */
export type SceneV2Extra = typeof SCENES_V2_EXTRA[number];

/** Generations of the synthetic world: 1 (14 classes, 64 px), 2 (40 classes, LSUN-framed churches). */
export const WORLD_VERSIONS = [1, 2] as const;
/** A world generation. */
export type WorldVersion = typeof WORLD_VERSIONS[number];

const SCENES_V2: readonly string[] = [...SCENES, ...SCENES_V2_EXTRA];

/** Scene classes of a world generation, in id order. */
export function scenesOf(version: WorldVersion): readonly string[] {
  return version === 1 ? SCENES : SCENES_V2;
}

/** Object classes; 0 is "none". */
export const OBJECTS = [
  "none",
  "sky",
  "cloud",
  "mountain",
  "snow",
  "tree",
  "grass",
  "water",
  "sand",
  "road",
  "path",
  "building",
  "car",
  "person",
  "boat",
  "airplane",
  "bed",
  "table",
  "chair",
  "lamp",
  "cabinet",
  "oven",
  "sofa",
  "painting",
  "window",
  "wall",
  "floor",
  "ceiling",
  "ground",
  "fence",
  "rock",
  "plant",
  "rug",
  "pier",
  "streetlight",
] as const;
/** An object class. */
export type ObjectName = typeof OBJECTS[number];

// Part names are unique across the whole list so a name alone is a concept.
/** Part classes and the object each belongs to; 0 is "none". */
export const PARTS: readonly { name: string; parent: ObjectName | "none" }[] = [
  { name: "none", parent: "none" },
  { name: "door", parent: "building" },
  { name: "window", parent: "building" },
  { name: "roof", parent: "building" },
  { name: "dome", parent: "building" },
  { name: "steeple", parent: "building" },
  { name: "trunk", parent: "tree" },
  { name: "crown", parent: "tree" },
  { name: "wheel", parent: "car" },
  { name: "windshield", parent: "car" },
  { name: "headlight", parent: "car" },
  { name: "head", parent: "person" },
  { name: "torso", parent: "person" },
  { name: "legs", parent: "person" },
  { name: "hull", parent: "boat" },
  { name: "sail", parent: "boat" },
  { name: "cabin", parent: "boat" },
  { name: "wing", parent: "airplane" },
  { name: "tail", parent: "airplane" },
  { name: "engine", parent: "airplane" },
  { name: "pillow", parent: "bed" },
  { name: "headboard", parent: "bed" },
  { name: "blanket", parent: "bed" },
  { name: "tabletop", parent: "table" },
  { name: "table_leg", parent: "table" },
  { name: "seat", parent: "chair" },
  { name: "chair_back", parent: "chair" },
  { name: "chair_leg", parent: "chair" },
  { name: "lampshade", parent: "lamp" },
  { name: "lamp_base", parent: "lamp" },
  { name: "drawer", parent: "cabinet" },
  { name: "handle", parent: "cabinet" },
  { name: "oven_door", parent: "oven" },
  { name: "stovetop", parent: "oven" },
  { name: "cushion", parent: "sofa" },
  { name: "armrest", parent: "sofa" },
  { name: "picture_frame", parent: "painting" },
  { name: "pane", parent: "window" },
  { name: "pot", parent: "plant" },
  { name: "leaves", parent: "plant" },
];
/** Part class names, by id. */
export const PART_NAMES: readonly string[] = PARTS.map((p) => p.name);

/** Material classes; 0 is "none". */
export const MATERIALS = [
  "none",
  "brick",
  "wood",
  "glass",
  "metal",
  "fabric",
  "foliage",
  "grass",
  "water",
  "snow",
  "sand",
  "stone",
  "tile",
  "asphalt",
  "painted",
  "skin",
  "carpet",
  "rubber",
  "soil",
  "plastic",
  "paper",
] as const;
/** A material class. */
export type MaterialName = typeof MATERIALS[number];

// Colors are the method's concept category, named from pixels alone (dissection/colors.ts).
import { COLORS } from "../dissection/colors.ts";
export { type ColorName, COLORS } from "../dissection/colors.ts";

// Focal objects of the object-centric split: things, not stuff.
/** The objects of the object-centric split. */
export const FOCAL_OBJECTS = [
  "airplane",
  "car",
  "boat",
  "tree",
  "building",
  "person",
  "bed",
  "chair",
  "sofa",
  "table",
  "lamp",
  "oven",
  "cabinet",
  "painting",
  "plant",
] as const satisfies readonly ObjectName[];

function indexer<T extends string>(list: readonly T[], kind: string) {
  const map = new Map<string, number>(list.map((n, i) => [n, i]));
  return (name: string): number => {
    const i = map.get(name);
    if (i === undefined) throw new Error(`unknown ${kind} "${name}"`);
    return i;
  };
}

/** Index lookups that throw on typos instead of silently returning -1. */
export const objectId: (name: ObjectName) => number = indexer(
  OBJECTS,
  "object",
);
/** The id of a part name. */
export const partId: (name: string) => number = indexer(PART_NAMES, "part");
/** The id of a material name. */
export const materialId: (name: MaterialName) => number = indexer(
  MATERIALS,
  "material",
);
/** The id of a v1 scene name. */
export const sceneId: (name: SceneName) => number = indexer(SCENES, "scene");

/** The label lists of the world's ground-truth maps, as a split records them. */
export const GROUND_TRUTH_LABELS = {
  objects: OBJECTS,
  parts: PART_NAMES,
  materials: MATERIALS,
  colors: COLORS,
} as const;
