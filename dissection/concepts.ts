/**
 * The concept vocabulary of a dissection: objects, parts, materials and
 * colors, as in the paper. Parts include, for every object class, the four
 * half-box parts (top, bottom, left and right halves of the bounding box of
 * each connected component). Ids are dense so counts fit in flat arrays.
 */
import type { TableSink } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { type ClassMap, classMapWidth, newClassMap } from "../data/class_map.ts";
import { colorMap } from "./colors.ts";
import { halfBoxFlags } from "./half_parts.ts";
import type { RowOf } from "../engine/table_writer.ts";

/** The four kinds of concept a segmentation labels. */
export type Category = "object" | "part" | "material" | "color";

/** One concept of the vocabulary: its id, name and category. */
export interface Concept {
  id: number;
  name: string;
  category: Category;
}

/** The half-box parts every object gets (the paper's top, bottom, left, right). */
export const HALVES = ["top", "bottom", "left", "right"] as const;

/** Per-pixel label planes stored by the segment stage, in this order. */
export const PLANES = ["object", "part", "material", "color", "halfbox"] as const;

/** The heads of a segmentation whose classes come from a source's lists. */
export type LabeledHead = "object" | "part" | "material";

/** A source's class lists, one per head (index 0 is "none"). */
export type LabelLists = Readonly<Record<LabeledHead, readonly string[]>>;

/** Bytes per pixel of the label planes of these lists: 2 when one has more than 256 classes. */
export function planeWidth(labels: LabelLists): 1 | 2 {
  return classMapWidth(Math.max(labels.object.length, labels.part.length, labels.material.length));
}

/**
 * The label planes of n images from their object, part and material class
 * maps (n x height x width each) and their pixels: colors are named from the
 * pixels and the half-box parts computed from the object plane, whatever
 * made the maps (a segmenter, or ground truth). The planes are 16-bit when a
 * list has more than 256 classes (`planeWidth`). A class beyond its list in
 * `labels` would be counted as another concept, so it is an error naming `what`.
 */
export function planesFrom(
  maps: Readonly<Record<LabeledHead, ClassMap>>,
  rgb: Uint8Array,
  opts: {
    n: number;
    height: number;
    width: number;
    labels: LabelLists;
    what: string;
    /** The first image's index in the data set, for errors. */
    start?: number;
  },
): ClassMap {
  const { n, height, width } = opts, px = height * width;
  for (const head of ["object", "part", "material"] as const) {
    const map = maps[head], size = opts.labels[head].length;
    if (map.length !== n * px) {
      throw new DissectError(
        "DATA",
        `${opts.what}: images ${opts.start ?? 0}..${(opts.start ?? 0) + n} lack their ${head} map`,
      );
    }
    for (let p = 0; p < map.length; p++) {
      if (map[p] >= size) {
        throw new DissectError(
          "DATA",
          `${opts.what}: image ${(opts.start ?? 0) + Math.floor(p / px)} has ${head} class ` +
            `${map[p]}, its list has ${size}`,
        );
      }
    }
  }
  const planes = newClassMap(planeWidth(opts.labels), n * PLANES.length * px);
  for (let i = 0; i < n; i++) {
    const base = i * PLANES.length * px;
    const object = maps.object.subarray(i * px, (i + 1) * px);
    planes.set(object, base);
    planes.set(maps.part.subarray(i * px, (i + 1) * px), base + px);
    planes.set(maps.material.subarray(i * px, (i + 1) * px), base + 2 * px);
    planes.set(colorMap(rgb.subarray(i * px * 3, (i + 1) * px * 3)), base + 3 * px);
    planes.set(halfBoxFlags(object, width, height), base + 4 * px);
  }
  return planes;
}

/** Every concept of a segmentation's label lists, with ids, and how labels map to them. */
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

/** The schema of the "concepts" table a stage declares when it writes its vocabulary. */
export const CONCEPTS_TABLE = { concept: "INTEGER", name: "VARCHAR", category: "VARCHAR" } as const;

/**
 * Writes the vocabulary into a table "concepts" (id, name, category), so that
 * a stage's tables keyed by concept id read on their own.
 */
export function writeConcepts(
  table: TableSink<RowOf<typeof CONCEPTS_TABLE>>,
  vocab: Vocabulary,
): void {
  for (const c of vocab.concepts) {
    table.append({ concept: c.id, name: c.name, category: c.category });
  }
}

/** The concept vocabulary of a segmenter's label lists (plus colors and half-box parts). */
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

/** One image's label planes, in PLANES order (all bytes, or all 16-bit). */
export interface LabelPlanes {
  object: ClassMap;
  part: ClassMap;
  material: ClassMap;
  color: ClassMap;
  /** Half-box flags of dissection/half_parts.ts: top=1, bottom=2, left=4, right=8. */
  halfbox: ClassMap;
}

/** The planes of image i of a batch read from a segment artifact (PLANES.length planes of px pixels each). */
export function planesOf(batch: ClassMap, i: number, px: number): LabelPlanes {
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
 *
 * Pixels are tallied by label, not by concept: four 32-bit increments a pixel,
 * one for its object and half-box flags together and one for each other
 * plane, with no lookups or branches (about 3 times faster than counting
 * concepts pixel by pixel). Labels become concepts only when a tally is read
 * (`addTallied`). A tally has 16 entries per object label (one per
 * combination of half-box flags), then one per part, material and color
 * label: its size follows the label lists, whatever their length.
 */
export class PlaneConcepts {
  readonly tallySize: number;
  #planes?: LabelPlanes;
  /** Where the part, material and color entries of a tally begin. */
  readonly #at: { part: number; material: number; color: number };
  readonly #objects: number;
  /** The concept of each part, material and color entry of a tally (from #at.part), -1 where none. */
  #conceptOf: Int32Array;
  /** The concept of object o, -1 where none (label 0). */
  #object: Int32Array;
  /** The concept of half h of object o at [o * 4 + h], -1 where none. */
  #half: Int32Array;
  /** A tally for countRuns, kept all zero between calls. */
  #scratch: Int32Array;

  constructor(readonly vocab: Vocabulary) {
    const O = vocab.object.length, P = vocab.part.length, M = vocab.material.length;
    this.#objects = O;
    this.#at = { part: O * 16, material: O * 16 + P, color: O * 16 + P + M };
    this.tallySize = this.#at.color + vocab.color.length;
    this.#object = vocab.object;
    this.#half = vocab.half;
    this.#conceptOf = new Int32Array(this.tallySize - this.#at.part);
    this.#conceptOf.set(vocab.part, 0);
    this.#conceptOf.set(vocab.material, P);
    this.#conceptOf.set(vocab.color, P + M);
    this.#scratch = new Int32Array(this.tallySize);
  }

  use(planes: LabelPlanes): this {
    this.#planes = planes;
    return this;
  }

  /**
   * Tallies the labels of the pixels of n runs into tally[base .. base +
   * tallySize): run k is pixels runs[2k] up to (not including) runs[2k + 1].
   */
  tally(runs: Int32Array, n: number, tally: Int32Array, base: number): void {
    const { object, part, material, color, halfbox } = this.#planes!;
    const p0 = base + this.#at.part, m0 = base + this.#at.material, c0 = base + this.#at.color;
    for (let k = 0; k < 2 * n; k += 2) {
      for (let p = runs[k], end = runs[k + 1]; p < end; p++) {
        tally[base + object[p] * 16 + (halfbox[p] & 15)]++;
        tally[p0 + part[p]]++;
        tally[m0 + material[p]]++;
        tally[c0 + color[p]]++;
      }
    }
  }

  /** Adds the concept counts that tally[base ..] stands for to counts[countsBase + c]. */
  addTallied(tally: Int32Array, base: number, counts: Float64Array, countsBase: number): void {
    for (let o = 0; o < this.#objects; o++) {
      for (let flags = 0; flags < 16; flags++) {
        const n = tally[base + o * 16 + flags];
        if (n === 0) continue;
        if (this.#object[o] >= 0) counts[countsBase + this.#object[o]] += n;
        for (let h = 0; h < 4; h++) {
          const c = this.#half[o * 4 + h];
          if (flags & (1 << h) && c >= 0) counts[countsBase + c] += n;
        }
      }
    }
    const conceptOf = this.#conceptOf, at = base + this.#at.part;
    for (let k = 0; k < conceptOf.length; k++) {
      const n = tally[at + k], c = conceptOf[k];
      if (n !== 0 && c >= 0) counts[countsBase + c] += n;
    }
  }

  /** Adds 1 to counts[base + c] for every concept c at each pixel of n runs (as `tally`). */
  countRuns(runs: Int32Array, n: number, counts: Float64Array, base: number): void {
    this.tally(runs, n, this.#scratch, 0);
    this.addTallied(this.#scratch, 0, counts, base);
    this.#scratch.fill(0);
  }
}
