/**
 * The paint check's measurements (claim C13): the palette the page paints
 * with, and for each sample and concept the concept's pixels inside and
 * outside the painted region, before and after painting; and the check's
 * sessions, which paint a batch of samples through the page's painter.
 */
import type { PaletteConcept } from "./palette.ts";
import { cellPixels, countInRegion, outlineRegion, regionCells } from "./brush.ts";
import { Painter, type Stroke } from "./painter.ts";
import { Segmenter } from "../dissection/segmenter.ts";
import { readModelBytes } from "../onnx/model.ts";
import type { ClassMap } from "../data/class_map.ts";

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
  batch: { start: number; n: number; maps: Record<string, ClassMap> },
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

/** What the check paints with and reads back with: generator, palette, segmenter, and the region. */
export interface PaintCheckOptions {
  /** The generator as configured (named in errors), its file and the latents of its samples. */
  generator: string;
  generatorFile: string;
  latents: string;
  layer: string;
  palette: PaletteConcept[];
  boost: number;
  segmenter: string;
  segmenterFile: string;
  /** The painted rectangle [top, left, bottom, right], in fractions of the image. */
  region: readonly [number, number, number, number];
  threads: number;
}

/**
 * The check's sessions: the page's painter with the palette, and the
 * segmenter at the painter's image size. Copy 0 of each sample is left
 * unedited; copy 1 + k has concept k drawn over the region.
 */
export class PaintCheck {
  private constructor(
    readonly painter: Painter,
    readonly segmenter: Segmenter,
    readonly palette: PaletteConcept[],
    /** Each concept's class in its head. */
    readonly classes: number[],
    /** The region's pixels (1 inside), size x size. */
    readonly inside: Uint8Array,
    readonly copies: Stroke[][],
  ) {}

  /** Opens the painter, then the segmenter at the size the painter renders. */
  static async open(o: PaintCheckOptions): Promise<PaintCheck> {
    const { generator, latents, layer, palette, boost, threads } = o;
    const painter = await Painter.open({
      generator,
      file: o.generatorFile,
      latents,
      layer,
      palette,
      boost,
      threads,
    });
    const { h, w, size } = painter.grid;
    const cells = regionCells(o.region, h, w);
    const segmenter = await Segmenter.open(
      o.segmenter,
      await readModelBytes(o.segmenterFile),
      size,
      o.threads,
    );
    return new PaintCheck(
      painter,
      segmenter,
      o.palette,
      o.palette.map((c) => segmenter.classId(c.category, c.name)),
      cellPixels(cells, h, w, size),
      [[], ...o.palette.map((c) => [{ concept: c.name, mode: "draw" as const, cells }])],
    );
  }

  /** The side of the painted images, in pixels. */
  get size(): number {
    return this.painter.grid.size;
  }

  /** Samples there are to paint: the stored latents. */
  get samples(): number {
    return this.painter.samples;
  }

  /**
   * Paints samples [start, end), rendered and segmented as one batch: their
   * rows of the paintings table, and for the first `keep` samples their
   * images (unedited, then each concept), the region outlined.
   */
  async paint(start: number, end: number, keep: number) {
    const n = end - start, px = this.size * this.size;
    const { rgb } = await this.painter.render(await this.painter.layer(start, end), this.copies);
    const { maps } = await this.segmenter.segment(rgb, this.copies.length * n);
    const rows = paintingsOf({ start, n, maps }, this.palette, this.classes, this.inside);
    const examples = Array.from(
      { length: Math.max(0, Math.min(n, keep)) },
      (_, i) =>
        this.copies.map((_, copy) => {
          const off = (copy * n + i) * px * 3;
          return outlineRegion(rgb.slice(off, off + px * 3), this.inside, this.size);
        }),
    );
    return { rows, examples };
  }

  /** Releases both models' sessions. */
  async release(): Promise<void> {
    await this.painter.release();
    await this.segmenter.release();
  }
}
