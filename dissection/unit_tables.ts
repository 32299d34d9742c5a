/**
 * The dissection's result tables: every (unit, concept) pair that overlaps,
 * each unit's label (its best concept), and each unit's top images. One
 * schema per table, shared by the iou stage that writes them and the
 * readers downstream.
 */
import type { TableSink } from "../engine/stage.ts";
import type { RowOf } from "../engine/table_writer.ts";
import type { Vocabulary } from "./concepts.ts";
import { type IouCounter, unitResults } from "./iou.ts";
import type { TopK } from "./topk.ts";

/** Exact counts of every (layer, unit, concept) with a non-empty intersection. */
export const UNIT_CONCEPT_TABLE = {
  layer: "VARCHAR",
  unit: "INTEGER",
  concept: "INTEGER",
  intersection: "BIGINT",
  unit_area: "BIGINT",
  concept_area: "BIGINT",
  iou: "DOUBLE",
} as const;

/** Each unit's label: the concept of highest IoU, with its name and category. */
export const UNIT_LABELS_TABLE = {
  layer: "VARCHAR",
  unit: "INTEGER",
  concept: "INTEGER",
  name: "VARCHAR",
  category: "VARCHAR",
  iou: "DOUBLE",
} as const;

/** Each unit's images of highest peak activation, rank 0 first. */
export const TOPK_TABLE = {
  layer: "VARCHAR",
  unit: "INTEGER",
  rank: "INTEGER",
  image: "INTEGER",
  peak: "DOUBLE",
} as const;

/** Appends one layer's pairs and labels, with concept ids, names and categories from the vocabulary. */
export function writeLayerResults(
  sinks: {
    pairs: TableSink<RowOf<typeof UNIT_CONCEPT_TABLE>>;
    labels: TableSink<RowOf<typeof UNIT_LABELS_TABLE>>;
  },
  layer: string,
  counter: IouCounter,
  vocab: Vocabulary,
): void {
  const found = unitResults(counter);
  for (const p of found.pairs) {
    sinks.pairs.append({
      layer,
      unit: p.unit,
      concept: vocab.concepts[p.concept].id,
      intersection: p.intersection,
      unit_area: p.unitArea,
      concept_area: p.conceptArea,
      iou: p.iou,
    });
  }
  for (const l of found.labels) {
    const c = vocab.concepts[l.concept];
    sinks.labels.append({
      layer,
      unit: l.unit,
      concept: c.id,
      name: c.name,
      category: c.category,
      iou: l.iou,
    });
  }
}

/** Appends one layer's top images, unit by unit, best first. */
export function writeTopImages(
  sink: TableSink<RowOf<typeof TOPK_TABLE>>,
  layer: string,
  top: TopK,
): void {
  top.best.forEach((best, unit) =>
    best.forEach((t, rank) => sink.append({ layer, unit, rank, image: t.image, peak: t.peak }))
  );
}
