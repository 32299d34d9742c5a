/**
 * The paint palette, read from a dissection: the concepts the segmenter
 * finds most in the generated images (by pixel area), each backed by its
 * highest-IoU units at the edit layer and their thresholds t_u. The page and
 * the paint stage build it with the same function, so a new dissection
 * changes both without code changes.
 */
import type { ArtifactRef } from "../engine/stage.ts";
import { queryRows, sqlString } from "../engine/duck.ts";
import { DissectError } from "../engine/errors.ts";
import { HALVES } from "../dissection/concepts.ts";
import type { Head } from "../dissection/segmenter.ts";
import type { ColumnsOf } from "../engine/table_writer.ts";
import type { CONCEPTS_TABLE } from "../dissection/concepts.ts";
import type { UNIT_CONCEPT_TABLE } from "../dissection/unit_tables.ts";
import type { THRESHOLDS_TABLE } from "../dissection/quantile.ts";
import { scaledUnits, type UNIT_SCALES } from "../dissection/scaled_units.ts";
import { layerWidth } from "../dissection/concept_units.ts";

type UnitScale = typeof UNIT_SCALES[number];

/** One unit of a palette concept and its threshold. */
export interface PaletteUnit {
  unit: number;
  iou: number;
  /** The unit's t_u (top-1% quantile) at the layer. */
  threshold: number;
}

/** A concept of the palette and the units drawn for it. */
export interface PaletteConcept {
  /** Unique within a palette: what the page shows and a request names. */
  name: string;
  /** The segmenter head that labels it (colors and half-box parts are not painted). */
  category: Head;
  /** Its pixels in the dissected (generated) images. */
  area: number;
  /** Highest IoU first. */
  units: PaletteUnit[];
}

/** How many concepts and how many units each. */
export interface PaletteOptions {
  layer: string;
  /** How many concepts, most frequent first. */
  concepts: number;
  /** Units per concept (the paper uses 20 of layer4's 512). */
  units: number;
  /**
   * "layer": `units` is the paper's count for a 512-unit layer, scaled to the
   * same share of this layer (scaled_units.ts); "absolute" (the default
   * here): taken as given.
   */
  scale?: UnitScale;
}

/** The paper's palette: 12 concepts shown, each its 20 units of 512, scaled to the layer. */
export const PALETTE_DEFAULTS = { concepts: 12, units: 20, scale: "layer" } as const;

/**
 * The palette: the concepts the segmenter finds most in generated images,
 * each with its top units by IoU. An empty palette is refused (there is
 * nothing to paint with, and nothing a check of painting could measure).
 */
export async function buildPalette(
  dissection: ArtifactRef,
  thresholds: ArtifactRef,
  opts: PaletteOptions,
): Promise<PaletteConcept[]> {
  const uc = `read_parquet(${sqlString(dissection.table("unit_concept"))})`;
  const cs = `read_parquet(${sqlString(dissection.table("concepts"))})`;
  const th = `read_parquet(${sqlString(thresholds.table("thresholds"))})`;
  const layer = sqlString(opts.layer);
  const units = opts.scale === "layer"
    ? scaledUnits(opts.units, await layerWidth(dissection, opts.layer))
    : opts.units;
  // Half-box parts ("tree-top") are derived from object masks: no one paints them.
  const halves = HALVES.map((h) => `o.name || '-${h}'`).join(", ");
  const rows = await queryRows<
    & ColumnsOf<typeof CONCEPTS_TABLE, "name">
    & { category: Head; area: number }
    & ColumnsOf<typeof UNIT_CONCEPT_TABLE, "unit" | "iou">
    & ColumnsOf<typeof THRESHOLDS_TABLE, "threshold">
  >(
    `WITH c AS (
       SELECT concept, name, category FROM ${cs} p
       WHERE category IN ('object', 'part', 'material')
         AND NOT (category = 'part' AND EXISTS (
           SELECT 1 FROM ${cs} o WHERE o.category = 'object' AND p.name IN (${halves})))
     ), area AS (
       SELECT concept, name, category, max(u.concept_area) AS area
       FROM ${uc} u JOIN c USING (concept) WHERE u.layer = ${layer}
       GROUP BY concept, name, category
       -- One entry per name (grass is an object and a material): the more frequent.
       QUALIFY row_number() OVER (PARTITION BY name ORDER BY area DESC, category) = 1
       ORDER BY area DESC, name LIMIT ${opts.concepts}
     ), ranked AS (
       SELECT a.name, a.category, a.area, u.unit, u.iou,
         row_number() OVER (PARTITION BY a.concept ORDER BY u.iou DESC, u.unit) AS rank
       FROM area a JOIN ${uc} u ON u.concept = a.concept AND u.layer = ${layer}
     )
     SELECT r.name, r.category, r.area, r.unit, r.iou, t.threshold
     FROM ranked r LEFT JOIN ${th} t ON t.layer = ${layer} AND t.unit = r.unit
     WHERE r.rank <= ${units}
     ORDER BY r.area DESC, r.name, r.rank`,
  );
  const palette = new Map<string, PaletteConcept>();
  for (const r of rows) {
    if (r.threshold === null) {
      throw new DissectError(
        "DATA",
        `${thresholds.node} has no threshold for unit ${r.unit} of ${opts.layer}`,
        "were the thresholds and the dissection made from the same activations?",
      );
    }
    const c = palette.get(r.name) ??
      { name: r.name, category: r.category, area: Number(r.area), units: [] };
    c.units.push({ unit: r.unit, iou: r.iou, threshold: r.threshold });
    palette.set(r.name, c);
  }
  if (palette.size === 0) {
    throw new DissectError(
      "DATA",
      `${dissection.node} found no unit of ${opts.layer} overlapping an object, part or ` +
        "material of the segmenter: there is nothing to paint with",
      "is gan.editLayer one of the dissected generator layers?",
    );
  }
  return [...palette.values()];
}
