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

/** One image's label planes, in PLANES order. */
export interface LabelPlanes {
  object: Uint8Array;
  part: Uint8Array;
  material: Uint8Array;
  color: Uint8Array;
  /** Half-box flags of world/half_parts.ts: top=1, bottom=2, left=4, right=8. */
  halfbox: Uint8Array;
}

/** The planes of image i of a batch read from a segment artifact (PLANES.length planes of px bytes each). */
export function planesOf(batch: Uint8Array, i: number, px: number): LabelPlanes {
  const b = i * PLANES.length * px;
  const plane = (k: number) => batch.subarray(b + k * px, b + (k + 1) * px);
  return {
    object: plane(0),
    part: plane(1),
    material: plane(2),
    color: plane(3),
    halfbox: plane(4),
  };
}

/**
 * The concepts at each pixel of one image, looked up in its label planes:
 * its object, part, material and color, and the half-box parts of its object.
 * One object serves image after image (`use`), so counting loops stay monomorphic.
 */
export class PlaneConcepts {
  #planes?: LabelPlanes;
  // Concept ids by label byte, padded to all 256 bytes with -1 (no concept), so
  // lookups never leave the array and counting loops stay on integers.
  #object: Int32Array;
  #part: Int32Array;
  #material: Int32Array;
  #color: Int32Array;
  #half: Int32Array;

  constructor(readonly vocab: Vocabulary) {
    const padded = (ids: Int32Array, n = 256) => {
      const out = new Int32Array(n).fill(-1);
      out.set(ids.subarray(0, n));
      return out;
    };
    this.#object = padded(vocab.object);
    this.#part = padded(vocab.part);
    this.#material = padded(vocab.material);
    this.#color = padded(vocab.color);
    this.#half = padded(vocab.half, 256 * 4);
  }

  use(planes: LabelPlanes): this {
    this.#planes = planes;
    return this;
  }

  /** Adds 1 to counts[base + c] for every concept c at each of pixels[0..n). */
  countPixels(pixels: Int32Array, n: number, counts: Float64Array, base: number): void {
    const { object, part, material, color, halfbox } = this.#planes!;
    const objectIds = this.#object, partIds = this.#part, materialIds = this.#material;
    const colorIds = this.#color, halfIds = this.#half;
    for (let i = 0; i < n; i++) {
      const p = pixels[i], o = object[p];
      let c = objectIds[o];
      if (c >= 0) counts[base + c]++;
      c = partIds[part[p]];
      if (c >= 0) counts[base + c]++;
      c = materialIds[material[p]];
      if (c >= 0) counts[base + c]++;
      c = colorIds[color[p]];
      if (c >= 0) counts[base + c]++;
      const flags = halfbox[p];
      if (flags !== 0) {
        // Halves of "none" (object 0) are -1 in the table.
        const h = o * 4;
        if (flags & 1 && (c = halfIds[h]) >= 0) counts[base + c]++;
        if (flags & 2 && (c = halfIds[h + 1]) >= 0) counts[base + c]++;
        if (flags & 4 && (c = halfIds[h + 2]) >= 0) counts[base + c]++;
        if (flags & 8 && (c = halfIds[h + 3]) >= 0) counts[base + c]++;
      }
    }
  }
}
