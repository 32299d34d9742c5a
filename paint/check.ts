/**
 * The paint check's measurements (claim C13): the palette the page paints
 * with, and for each sample and concept the concept's pixels inside and
 * outside the painted region, before and after painting.
 */
import type { PaletteConcept } from "./palette.ts";
import { countInRegion } from "./brush.ts";

/** The palette: each concept's units by rank, with IoU and threshold. */
export const PALETTE_TABLE = {
  position: "INTEGER",
  concept: "VARCHAR",
  category: "VARCHAR",
  area: "BIGINT",
  rank: "INTEGER",
  unit: "INTEGER",
  iou: "DOUBLE",
  threshold: "DOUBLE",
} as const;

/** One row per sample and concept: the region's size and the concept's pixels in and out of it. */
export const PAINTINGS_TABLE = {
  image: "INTEGER",
  concept: "VARCHAR",
  region_pixels: "INTEGER",
  outside_pixels: "INTEGER",
  inside_before: "INTEGER",
  inside_after: "INTEGER",
  outside_before: "INTEGER",
  outside_after: "INTEGER",
} as const;

/** The palette as rows of the palette table, concept by concept, units by rank. */
export function paletteRows(palette: readonly PaletteConcept[]) {
  return palette.flatMap((c, position) =>
    c.units.map((u, rank) => ({
      position,
      concept: c.name,
      category: c.category,
      area: c.area,
      rank,
      ...u,
    }))
  );
}

/**
 * A segmented batch's paintings: map set `maps[head]` holds copy c of sample
 * i at image c*n + i, copy 0 unedited and copy 1 + k painted with concept k;
 * `classes[k]` is concept k's class in its head, `inside` the region's pixels.
 */
export function paintingsOf(
  batch: { start: number; n: number; maps: Record<string, Uint8Array> },
  palette: readonly PaletteConcept[],
  classes: readonly number[],
  inside: Uint8Array,
) {
  const { start, n, maps } = batch, px = inside.length;
  const region = inside.reduce((s, v) => s + v, 0);
  const counts = (copy: number, i: number, k: number) =>
    countInRegion(maps[palette[k].category], (copy * n + i) * px, px, inside, classes[k]);
  const rows = [];
  for (let i = 0; i < n; i++) {
    for (const [k, c] of palette.entries()) {
      const [inBefore, outBefore] = counts(0, i, k);
      const [inAfter, outAfter] = counts(1 + k, i, k);
      rows.push({
        image: start + i,
        concept: c.name,
        region_pixels: region,
        outside_pixels: px - region,
        inside_before: inBefore,
        inside_after: inAfter,
        outside_before: outBefore,
        outside_after: outAfter,
      });
    }
  }
  return rows;
}
