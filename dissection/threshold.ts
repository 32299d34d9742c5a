/** Choosing a unit's threshold when its peak activation is used as a binary classifier. */
import { batches } from "../data/open.ts";
import type { Activations } from "./activations.ts";
import { peakOf } from "./topk.ts";
import { PLANES } from "./concepts.ts";
import type { ClassMap } from "../data/class_map.ts";

/**
 * The cut on peak activation with the best balanced accuracy (midpoints
 * between distinct sorted values), or null when the rows lack images on one
 * side (with or without the concept): then there is no cut to fit.
 */
export function bestThreshold(rows: { present: boolean; peak: number }[]): number | null {
  const pos = rows.filter((r) => r.present).length, neg = rows.length - pos;
  if (!pos || !neg) return null;
  const sorted = [...rows].sort((a, b) => b.peak - a.peak);
  let tp = 0, fp = 0, best = { acc: -1, t: sorted[0].peak };
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].present) tp++;
    else fp++;
    const next = sorted[i + 1]?.peak ?? -Infinity;
    if (next === sorted[i].peak) continue; // a cut must fall between distinct values
    const acc = 0.5 * (tp / pos + (neg - fp) / neg);
    if (acc > best.acc) {
      best = { acc, t: Number.isFinite(next) ? (sorted[i].peak + next) / 2 : sorted[i].peak - 1 };
    }
  }
  return best.t;
}

/** Which half of the images an image falls in: "fit" chooses the threshold, "test" scores it. */
export type Half = "fit" | "test";

/** A seeded coin for each image's half. */
export function halfOf(rand: () => number): Half {
  return rand() < 0.5 ? "fit" : "test";
}

/** The best threshold on the fitting half of the rows (null when it cannot be fitted). */
export function fitThreshold(
  rows: { present: boolean; peak: number; half: Half }[],
): number | null {
  return bestThreshold(rows.filter((r) => r.half === "fit"));
}

/** One unit's peak activation on each image of a layer, a batch of images at a time. */
export async function* unitPeaks(
  acts: Activations,
  layer: string,
  unit: number,
  batch: number,
): AsyncGenerator<{ start: number; peaks: Float64Array }> {
  const shape = acts.shape(layer), hw = shape.height * shape.width;
  for (const [start, end] of batches(acts.meta.count, batch)) {
    const [a] = await acts.read([layer], start, end);
    const peaks = Float64Array.from(
      { length: end - start },
      (_, i) => peakOf(a, (i * shape.units + unit) * hw, hw),
    );
    yield { start, peaks };
  }
}

/** The columns a unit-as-classifier stage records about its unit. */
export const UNIT_COLUMNS = {
  layer: "VARCHAR",
  unit: "INTEGER",
  concept: "VARCHAR",
  iou: "DOUBLE",
  threshold: "DOUBLE",
} as const;

/** The columns after an image's own that a unit-as-classifier stage records per image. */
export const PEAK_COLUMNS = { present: "BOOLEAN", peak: "DOUBLE", half: "VARCHAR" } as const;

/**
 * How much of image i a class covers in a batch of label planes (planes
 * of `px` bytes, PLANES.length per image, `plane` the head's), and whether
 * that is more than `minFraction`: the concept is present in the image.
 */
export function presenceIn(
  planes: ClassMap,
  i: number,
  plane: number,
  px: number,
  cls: number,
  minFraction: number,
): { fraction: number; present: boolean } {
  const at = (i * PLANES.length + plane) * px;
  let on = 0;
  for (let q = at; q < at + px; q++) if (planes[q] === cls) on++;
  return { fraction: on / px, present: on / px > minFraction };
}
