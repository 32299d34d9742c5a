/** The units of a layer ranked by IoU with one concept, from a dissection artifact. */
import type { ArtifactRef } from "../engine/stage.ts";
import { queryRows, sqlString } from "../engine/duck.ts";
import { DissectError } from "../engine/errors.ts";
import type { ColumnsOf } from "../engine/table_writer.ts";
import type { UNIT_CONCEPT_TABLE } from "./unit_tables.ts";

/** The units of a layer that best match a concept, by IoU, from a dissection's tables. */
export async function unitsForConcept(
  dissection: ArtifactRef,
  layer: string,
  concept: string,
  limit: number,
  /** object, part, material or color: names can repeat across categories (window). */
  category?: string,
): Promise<ColumnsOf<typeof UNIT_CONCEPT_TABLE, "unit" | "iou">[]> {
  const rows = await queryRows<ColumnsOf<typeof UNIT_CONCEPT_TABLE, "unit" | "iou">>(
    `SELECT u.unit, u.iou FROM read_parquet(${sqlString(dissection.table("unit_concept"))}) u
     JOIN read_parquet(${sqlString(dissection.table("concepts"))}) c USING (concept)
     WHERE c.name = ${sqlString(concept)} AND u.layer = ${sqlString(layer)}
       ${category ? `AND c.category = ${sqlString(category)}` : ""}
     ORDER BY u.iou DESC, u.unit LIMIT ${limit}`,
  );
  if (rows.length === 0) {
    throw new DissectError(
      "DATA",
      `no unit of ${layer} overlaps concept "${concept}"${
        category ? ` (${category})` : ""
      } in ${dissection.node}`,
      "is the concept named as the segmenter names it, and does it appear in the images?",
    );
  }
  return rows;
}

/** How many units a layer has, from a dissection's `unit_labels` (one row per unit). */
export async function layerWidth(dissection: ArtifactRef, layer: string): Promise<number> {
  const [{ units }] = await queryRows<{ units: number }>(
    `SELECT count(*)::INT AS units FROM read_parquet(${
      sqlString(dissection.table("unit_labels"))
    }) WHERE layer = ${sqlString(layer)}`,
  );
  if (!units) {
    throw new DissectError("DATA", `${dissection.node} did not dissect layer "${layer}"`);
  }
  return units;
}
