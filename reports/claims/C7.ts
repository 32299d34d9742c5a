/**
 * C7: units important to more classes are more interpretable.
 * Rule (fixed before any run): over the units of the ranked layer, holds when
 * the 95% bootstrap interval (over units) of Spearman's correlation between
 * the number of classes a unit is in the top 4 for and its best IoU lies
 * above 0; does not hold when it lies below 0; inconclusive otherwise.
 */
import type { ClaimMeasure } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { spearman } from "../../stats/rank.ts";

const SQL = `SELECT l.unit, l.iou, count(i.unit) AS classes
  FROM iou_val__unit_labels l
  LEFT JOIN rank_units__importance i ON i.layer = l.layer AND i.unit = l.unit AND i.rank < 4
  WHERE l.layer = (SELECT any_value(layer) FROM rank_units__importance)
  GROUP BY ALL ORDER BY l.unit`;

/** The measure of claim C7 (rule above). */
export const C7: ClaimMeasure = {
  id: "C7",
  thresholds: "val",
  needs: ["rank-units", "iou-val"],
  rule: "holds when the 95% bootstrap interval over units of Spearman's correlation between the " +
    "number of classes a unit is top-4 for and its best IoU is above 0; does not hold when below 0; " +
    "inconclusive otherwise",
  async measure(q) {
    const rows = await q.rows<{ unit: number; iou: number; classes: number }>(SQL);
    const x = rows.map((r) => r.classes), y = rows.map((r) => r.iou);
    const ci = bootstrap(rows.length, (w) => spearman(x, y, w), { resamples: 1000, seed: 1 });
    const groups = await q.rows<{ classes: number; units: number; mean_iou: number }>(
      `SELECT classes, count(*) AS units, avg(iou) AS mean_iou FROM (${SQL}) GROUP BY classes ORDER BY classes`,
    );
    return {
      values: [{
        label: "Spearman correlation: classes a unit is top-4 for vs its IoU",
        value: ci.estimate,
        ci: [ci.lo, ci.hi],
        ciMethod:
          `over ${rows.length} units; 95% percentile bootstrap over units, 1000 resamples, seed 1`,
        sql: SQL,
        tables: q.tablesIn(SQL),
      }],
      verdict: {
        outcome: ci.lo > 0 ? "holds" : ci.hi < 0 ? "fails" : "inconclusive",
        detail: `rho = ${ci.estimate.toFixed(3)} (95% CI ${ci.lo.toFixed(3)} to ${
          ci.hi.toFixed(3)
        }).`,
      },
      figures: [{
        kind: "points",
        title: "Each unit: number of classes it is top-4 for, and its best IoU",
        xLabel: "classes (top-4 for)",
        yLabel: "best IoU",
        x: rows.map((r) => r.classes + (r.unit % 7 - 3) * 0.03), // jitter so equal counts stay visible
        series: [{ label: "unit", values: y }],
      }, {
        kind: "bars",
        title: "Mean IoU of units by the number of classes they are top-4 for",
        xLabel: "classes",
        yLabel: "mean IoU",
        x: groups.map((g) => g.classes),
        series: [{ label: "mean IoU", values: groups.map((g) => g.mean_iou) }],
      }],
    };
  },
};
