/**
 * C1: units of the last conv layer match many human concepts across categories.
 * Rule (fixed before any run): holds when, in the last dissected layer of the
 * classifier, units with IoU >= 0.04 match at least 10 distinct concepts and
 * those concepts span at least 3 of the 4 categories (object, part, material,
 * color), and the trained network beats its random-weight control (a
 * permutation test of trained minus control distinct concepts, control.ts).
 * Does not hold when the counts fall short or the control does better;
 * inconclusive when the control comparison cannot tell.
 */
import type { ClaimMeasure } from "../measure.ts";
import { CATEGORIES, countsSql, IOU_BAR, layerCounts, unitImages } from "./dissection.ts";
import { table } from "../html.ts";
import {
  againstControl,
  CONTROL_RULE,
  controlText,
  distinctConcepts,
  type UnitLabel,
  unitLabelsSql,
  withControl,
} from "./control.ts";

/** The measure of claim C1 (rule above). */
export const C1: ClaimMeasure = {
  id: "C1",
  thresholds: "val",
  needs: ["activations-val", "iou-val", "iou-val-control"],
  rule: `holds when the units of the last conv layer with IoU >= ${IOU_BAR} match at least 10 ` +
    `distinct concepts spanning at least 3 of the 4 categories, ${CONTROL_RULE}; does not hold ` +
    "when the counts fall short",
  async measure(q, ctx) {
    const counts = await layerCounts(q, "val");
    const lastPos = Math.max(...counts.map((c) => c.position));
    const last = counts.filter((c) => c.position === lastPos);
    const layer = last[0].layer;
    const values = [];
    for (const cat of CATEGORIES) {
      values.push(
        await q.value(
          `${layer}: distinct ${cat} concepts matched (units with IoU >= ${IOU_BAR})`,
          `SELECT count(DISTINCT concept) AS value FROM iou_val__unit_labels
           WHERE layer = '${layer}' AND category = '${cat}' AND iou >= ${IOU_BAR}`,
        ),
      );
    }
    values.push(
      await q.value(
        `${layer}: units with IoU >= ${IOU_BAR}`,
        `SELECT count(*) AS value FROM iou_val__unit_labels WHERE layer = '${layer}' AND iou >= ${IOU_BAR}`,
      ),
      await q.value(
        `${layer}: units`,
        `SELECT count(*) AS value FROM iou_val__unit_labels WHERE layer = '${layer}'`,
      ),
    );
    const distinct = last.reduce((s, c) => s + c.concepts, 0);
    const categories = last.filter((c) => c.concepts > 0).length;
    const holds = distinct >= 10 && categories >= 3;
    const control = await againstControl<UnitLabel>(q, {
      label: `${layer}: distinct concepts matched (units with IoU >= ${IOU_BAR})`,
      trainedSql: unitLabelsSql("iou_val__unit_labels", layer),
      controlSql: unitLabelsSql("iou_val_control__unit_labels", layer),
      stat: (rows) => distinctConcepts(rows),
      computedBy: "distinctConcepts (reports/claims/control.ts)",
    });
    values.push(control.control, control.difference);
    const outcome = withControl(holds ? "holds" : "fails", control.outcome);
    const labeled = await q.rows<
      { layer: string; unit: number; name: string; category: string; iou: number }
    >(
      `SELECT layer, unit, name, category, iou FROM iou_val__unit_labels
       WHERE layer = '${layer}' AND iou >= ${IOU_BAR} ORDER BY iou DESC LIMIT 12`,
    );
    const concepts = await q.rows<{ category: string; name: string; units: number; best: number }>(
      `SELECT category, name, count(*) AS units, max(iou) AS best FROM iou_val__unit_labels
       WHERE layer = '${layer}' AND iou >= ${IOU_BAR} GROUP BY ALL ORDER BY category, units DESC, best DESC`,
    );
    return {
      values,
      verdict: {
        outcome,
        detail: `${distinct} distinct concepts in ${categories} categories at ${layer} ` +
          `(${last.map((c) => `${c.concepts} ${c.category}s`).join(", ")}); ` +
          `${controlText(control.difference)}.`,
        why: holds && outcome !== "holds"
          ? `no more concepts than the random-weight control: ${controlText(control.difference)}`
          : holds
          ? undefined
          : `${distinct} distinct concepts in ${categories} categories; needs 10 in 3`,
      },
      figures: [{
        kind: "bars",
        title: `${layer}: distinct concepts matched by units with IoU >= ${IOU_BAR}, by category`,
        xLabel: "category",
        yLabel: "distinct concepts",
        x: last.map((_, i) => i),
        xNames: last.map((c) => c.category),
        series: [
          { label: "concepts", values: last.map((c) => c.concepts) },
          { label: "units", values: last.map((c) => c.units) },
        ],
      }],
      extraHtml: `<h2>The best units of ${layer}</h2>${await unitImages(ctx, "iou-val", labeled)}
<h2>Every concept matched at ${layer}</h2>${
        table(
          ["category", "concept", "units", "best IoU"],
          concepts.map((c) => [c.category, c.name, c.units, c.best.toFixed(3)]),
        )
      }<p class="muted">Counts per layer: <code>${
        countsSql("val").replaceAll("\n", " ")
      }</code></p>`,
    };
  },
};
