/**
 * Reading back the unit ranking of rank-units: for each class of the
 * classifier, its units at one layer from most to least important, checked
 * against the classifier's class names so that a ranking made with other
 * classes is never read as this one's.
 */
import { DissectError } from "../engine/errors.ts";
import { queryRows, sqlString } from "../engine/duck.ts";
import type { ColumnsOf } from "../engine/table_writer.ts";
import type { IMPORTANCE_TABLE } from "./ablation.ts";

/** Units of one layer in order of importance, by class label (the model's class index). */
export type Ranking = Map<number, number[]>;

/**
 * The ranking at `layer` in the `importance` table at `table` (a Parquet
 * path), each class's first `top` units (all without it). `classes` are the
 * classifier's class names: the ranking's must match them.
 */
export async function readRanking(
  table: string,
  layer: string,
  classes: readonly string[],
  top = Infinity,
): Promise<Ranking> {
  const rows = await queryRows<ColumnsOf<typeof IMPORTANCE_TABLE, "label" | "class" | "unit">>(
    `SELECT label, class, unit FROM read_parquet(${sqlString(table)})
     WHERE layer = ${sqlString(layer)}${Number.isFinite(top) ? ` AND rank < ${top}` : ""}
     ORDER BY label, rank`,
  );
  const misnamed = rows.find((r) => classes[r.label] !== r.class);
  if (misnamed) {
    throw new DissectError(
      "DATA",
      `the ranking's class ${misnamed.label} is "${misnamed.class}", ` +
        `the classifier's is "${classes[misnamed.label] ?? "(none)"}"`,
      "rank the units with the same classifier",
    );
  }
  const out: Ranking = new Map();
  for (const r of rows) out.set(r.label, [...(out.get(r.label) ?? []), r.unit]);
  return out;
}

/** The layers an importance table ranks, for errors that name what it does cover. */
export async function rankedLayers(table: string): Promise<string[]> {
  const rows = await queryRows<ColumnsOf<typeof IMPORTANCE_TABLE, "layer">>(
    `SELECT DISTINCT layer FROM read_parquet(${sqlString(table)}) ORDER BY layer`,
  );
  return rows.map((r) => r.layer);
}

/**
 * A ranking read for a stage that measures the ranked units: refused, naming
 * the layers the ranking does cover, when it has no units of the layer.
 */
export async function requireRanking(
  table: string,
  layer: string,
  classes: readonly string[],
  what: { node: string; stage: string },
  top = Infinity,
): Promise<Ranking> {
  const ranking = await readRanking(table, layer, classes, top);
  if (ranking.size === 0) {
    const layers = await rankedLayers(table);
    throw new DissectError(
      "DATA",
      `${what.node}: the ranking has no units of layer "${layer}"`,
      `the ranking covers: ${layers.join(", ") || "nothing"}; ` +
        `give rank-units and ${what.stage} the same layer`,
    );
  }
  return ranking;
}
