/**
 * The setting of a run, for the report's index: image size, classes, units
 * per dissected layer, the generator's units and its distance from the images
 * it imitates. Each is a number with its SQL, so that no reader mistakes the
 * synthetic world for the paper's and every figure of the box traces to a table.
 */
import type { ArtifactRef } from "../engine/stage.ts";
import type { Measured, ReportQuery } from "./measure.ts";

/** What this run measured on: whatever of it the run's tables can say. */
export async function settingOfRun(
  q: ReportQuery,
  inputs: Record<string, ArtifactRef>,
): Promise<Measured[]> {
  const out: Measured[] = [];
  const has = (...views: string[]) => views.every((v) => q.views.has(v));
  const add = async (label: string, sql: string, unit?: string) => {
    const m = await q.value(label, sql, unit);
    if (m.value !== null) out.push(m);
  };
  if (has("quantile_val__threshold_definition")) {
    await add(
      "image size the classifier is dissected at (segmentation resolution)",
      `SELECT any_value(width) || 'x' || any_value(height) || ' px' AS value
       FROM quantile_val__threshold_definition`,
    );
  }
  if (has("classify_val__classes")) {
    await add("scene classes", "SELECT count(*) AS value FROM classify_val__classes");
  }
  if (has("classify_val__predictions")) {
    await add(
      "top-1 accuracy on val",
      "SELECT round(100 * avg(correct::INT), 1) || '%' AS value FROM classify_val__predictions",
    );
  }
  if (has("classify_val__predictions", "classify_val__classes")) {
    // A class's balanced accuracy: the mean of its recall and its specificity. Classes of
    // the model that val does not hold have no recall, and are not counted.
    await add(
      "scene classes at 95% balanced accuracy or more on val",
      `WITH per_class AS (
         SELECT c.label,
           (avg(CASE WHEN p.label = c.label THEN (p.predicted = c.label)::INT END) +
            avg(CASE WHEN p.label <> c.label THEN (p.predicted <> c.label)::INT END)) / 2 AS bacc
         FROM classify_val__classes c CROSS JOIN classify_val__predictions p GROUP BY c.label)
       SELECT count(*) FILTER (WHERE bacc >= 0.95) || ' of ' || count(bacc) AS value FROM per_class`,
    );
  }
  if (has("activations_val__layers")) {
    await add(
      "classifier units per dissected layer (map size)",
      `SELECT string_agg(layer || ': ' || units || ' (' || height || 'x' || width || ')', ', '
         ORDER BY position) AS value FROM activations_val__layers`,
    );
  }
  const edit = (inputs["tree-removal"]?.manifest.keyParts.params as { layer?: string })?.layer;
  if (edit && has("activations_gan__layers")) {
    await add(
      `generator units at the edited layer (${edit})`,
      `SELECT units || ' (' || height || 'x' || width || ')' AS value
       FROM activations_gan__layers WHERE layer = '${edit.replaceAll("'", "''")}'`,
    );
  }
  if (has("gan_distance__distance")) {
    await add(
      "KID between generated and rendered church images (95% interval)",
      `SELECT round(value, 4) || ' (' || round(lo, 4) || ' to ' || round(hi, 4) || ')' AS value
       FROM gan_distance__distance WHERE measure = 'kid_a_b'`,
    );
  }
  return out;
}
