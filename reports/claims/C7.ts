/**
 * C7: units important to more classes are more interpretable.
 * Rule (fixed before any run): over the units of the ranked layer, holds when
 * the 95% bootstrap interval (over units) of Spearman's correlation between
 * the number of classes a unit is in the top 4 for and its best IoU lies
 * above 0, and the correlation beats the random-weight control's (the 95%
 * bootstrap interval of the difference, each network's units resampled on
 * their own, above 0); does not hold when the interval lies below 0 or the
 * control does better; inconclusive otherwise.
 * Precondition: the number of classes a unit is top-4 for takes at least 4
 * distinct values over the units (a range to see a trend in).
 */
import { type ClaimMeasure, precondition } from "../measure.ts";
import { intervalOutcome, settle } from "../verdict.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { spearman } from "../../stats/rank.ts";
import { againstControl, CONTROL_RULE_BOOTSTRAP, controlText, withControl } from "./control.ts";

/** SQL: per unit of the ranked layer, its best IoU and the classes it is top-4 for. */
function unitsSql(iou: string, importance: string): string {
  return `SELECT l.unit, l.iou, count(i.unit) AS classes
  FROM ${iou} l
  LEFT JOIN ${importance} i ON i.layer = l.layer AND i.unit = l.unit AND i.rank < 4
  WHERE l.layer = (SELECT any_value(layer) FROM ${importance})
  GROUP BY ALL ORDER BY l.unit`;
}
const SQL = unitsSql("iou_val__unit_labels", "rank_units__importance");
const CONTROL_SQL = unitsSql("iou_val_control__unit_labels", "rank_units_control__importance");

/** Spearman's correlation of units' top-4 counts and IoUs, under bootstrap weights. */
export function countIouCorrelation(
  rows: readonly { iou: number; classes: number }[],
  w: Uint32Array,
): number {
  return spearman(rows.map((r) => r.classes), rows.map((r) => r.iou), w);
}

/** How many distinct top-4 counts the units must span. */
const MIN_COUNTS = 4;

/** The measure of claim C7 (rule above). */
export const C7: ClaimMeasure = {
  id: "C7",
  thresholds: "val",
  needs: ["rank-units", "iou-val", "rank-units-control", "iou-val-control"],
  rule: "holds when the 95% bootstrap interval over units of Spearman's correlation between the " +
    `number of classes a unit is top-4 for and its best IoU is above 0, ${CONTROL_RULE_BOOTSTRAP}; ` +
    "does not hold when the interval lies below 0 or the control does better; inconclusive " +
    "otherwise. Needs units that are top-4 for a range of class counts",
  async measure(q) {
    const range = await precondition(q, {
      need: "distinct numbers of classes a unit is top-4 for",
      paper: "the paper's 365 classes fill 1,460 top-4 places among conv5_3's 512 units (2.85 " +
        "per unit on average), and Fig. 2e spreads units over many such counts",
      bar: `at least ${MIN_COUNTS}`,
      sql: `SELECT count(DISTINCT classes) AS value FROM (${SQL})`,
      test: (v) => v >= MIN_COUNTS,
      // 4 x classes top-4 places over the layer's units: set by the setting, not by more data.
    });
    const rows = await q.rows<{ unit: number; iou: number; classes: number }>(SQL);
    const y = rows.map((r) => r.iou);
    const ci = bootstrap(rows.length, (w) => countIouCorrelation(rows, w), {
      resamples: 1000,
      seed: 1,
    });
    const control = await againstControl<{ iou: number; classes: number }>(q, {
      label: "Spearman correlation of top-4 classes and IoU",
      trainedSql: SQL,
      controlSql: CONTROL_SQL,
      stat: (rows) => countIouCorrelation(rows, new Uint32Array(rows.length).fill(1)),
      weighted: countIouCorrelation,
      computedBy: "countIouCorrelation (reports/claims/C7.ts)",
    });
    const rule = intervalOutcome(ci, { bar: 0, side: "above", inclusive: false });
    const groups = await q.rows<{ classes: number; units: number; mean_iou: number }>(
      `SELECT classes, count(*) AS units, avg(iou) AS mean_iou FROM (${SQL}) GROUP BY classes ORDER BY classes`,
    );
    return {
      values: [
        {
          label: "Spearman correlation: classes a unit is top-4 for vs its IoU",
          value: ci.estimate,
          ci: [ci.lo, ci.hi],
          ciMethod:
            `over ${rows.length} units; 95% percentile bootstrap over units, 1000 resamples, seed 1`,
          computedBy: "countIouCorrelation (reports/claims/C7.ts), bootstrap (stats/bootstrap.ts)",
          sql: SQL,
          tables: q.tablesIn(SQL),
        },
        control.control,
        control.difference,
        range.value,
      ],
      preconditions: [range],
      verdict: settle(
        withControl(rule, control.outcome),
        `rho = ${ci.estimate.toFixed(3)} (95% CI ${ci.lo.toFixed(3)} to ${ci.hi.toFixed(3)}); ` +
          `${controlText(control.difference)}.`,
        [range],
        control.outcome === "fails"
          ? `below the random-weight control: ${controlText(control.difference)}`
          : rule === "fails"
          ? "the correlation's 95% interval lies below 0"
          : control.outcome !== "holds"
          ? `not above the random-weight control: ${controlText(control.difference)}`
          : "the correlation's 95% interval does not lie above 0",
      ),
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
