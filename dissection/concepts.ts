/**
 * The concept vocabulary of a dissection: objects, parts, materials and
 * colors, as in the paper. Parts include, for every object class, the four
 * half-box parts (top, bottom, left and right halves of the bounding box of
 * each connected component). Ids are dense so counts fit in flat arrays.
 */

export type Category = "object" | "part" | "material" | "color";

export interface Concept {
  id: number;
  name: string;
  category: Category;
}

export const HALVES = ["top", "bottom", "left", "right"] as const;

/** Per-pixel label planes stored by the segment stage, in this order. */
export const PLANES = ["object", "part", "material", "color", "halfbox"] as const;

export interface Vocabulary {
  concepts: Concept[];
  /** Concept id of object class i, part class i, ... (-1 for "none" at index 0). */
  object: Int32Array;
  part: Int32Array;
  material: Int32Array;
  color: Int32Array;
  /** Concept id of half h of object class i: half[i * 4 + h]. */
  half: Int32Array;
}

export function buildVocabulary(labels: {
  objects: readonly string[];
  parts: readonly string[];
  materials: readonly string[];
  colors: readonly string[];
}): Vocabulary {
  const concepts: Concept[] = [];
  const add = (name: string, category: Category) => {
    concepts.push({ id: concepts.length, name, category });
    return concepts.length - 1;
  };
  // Index 0 of objects, parts and materials means "none"; colors have no "none".
  const ids = (names: readonly string[], category: Category, suffix = "", hasNone = true) =>
    Int32Array.from(names, (n, i) => (hasNone && i === 0 ? -1 : add(n + suffix, category)));
  const object = ids(labels.objects, "object");
  const part = ids(labels.parts, "part");
  const material = ids(labels.materials, "material");
  const color = ids(labels.colors, "color", "-c", false);
  const half = new Int32Array(labels.objects.length * 4).fill(-1);
  labels.objects.forEach((name, i) => {
    if (i === 0) return;
    HALVES.forEach((h, k) => (half[i * 4 + k] = add(`${name}-${h}`, "part")));
  });
  return { concepts, object, part, material, color, half };
}

/** Flags of world/half_parts.ts: top=1, bottom=2, left=4, right=8. */
const FLAG_OF_HALF = [1, 2, 4, 8];

/**
 * The concept ids at every pixel of one image (up to 6 per pixel, -1 = none),
 * from its label planes: object, part, material, color, half-box flags.
 */
export function pixelConcepts(
  v: Vocabulary,
  planes: {
    object: Uint8Array;
    part: Uint8Array;
    material: Uint8Array;
    color: Uint8Array;
    halfbox: Uint8Array;
  },
  out: Int32Array,
): void {
  const n = planes.object.length;
  for (let p = 0; p < n; p++) {
    const o = planes.object[p];
    const base = p * 6;
    out[base] = v.object[o] ?? -1;
    out[base + 1] = v.part[planes.part[p]] ?? -1;
    out[base + 2] = v.material[planes.material[p]] ?? -1;
    out[base + 3] = v.color[planes.color[p]] ?? -1;
    const flags = planes.halfbox[p];
    let k = 4;
    for (let h = 0; h < 4; h++) {
      if (flags & FLAG_OF_HALF[h] && o !== 0) out[base + k++] = v.half[o * 4 + h];
    }
    while (k < 6) out[base + k++] = -1;
  }
}
