/**
 * C4: a few units carry one class: removing them ruins that class but barely
 * touches overall accuracy; keeping only them keeps the class.
 * The paper's 4 and 20 units of 512 are scaled to the ranked layer (k4, k20;
 * scaled_units.ts). The class is chosen by a rule fixed before the run: among
 * the classes below the ceiling (balanced accuracy < 95% on train with nothing
 * removed), the one whose top k4 units (by importance on train) have the
 * highest mean IoU at that layer (without a dissection in the run, the
 * highest summed importance).
 * Rule (fixed before any run), in two parts:
 * - removal holds when (a) removing its top k4 units lowers its balanced
 *   accuracy, the 95% interval of the drop above 0, and (b) removing its top
 *   k20 lowers overall accuracy by less than 2 points (upper end of the
 *   interval);
 * - keep-only holds when (c) keeping only its top k20 keeps its balanced
 *   accuracy within 10 points of the original (lower end of the interval of
 *   the difference above -10 points).
 * Each does not hold otherwise. Precondition: a class below the ceiling
 * (without one, the class is chosen among all and the verdict is "not
 * testable here").
 */
import { type ClaimMeasure, InsufficientData } from "../measure.ts";
import type { Interval } from "../../stats/bootstrap.ts";
import {
  CEILING,
  classBalancedSql,
  interval,
  measuredInterval,
  outcomes,
  requireIntervals,
  scaledSize,
  settingSql,
  settingsSql,
  TRUTH,
  weightedAccuracy,
  weightedBalanced,
} from "./ablation.ts";
import { unitImages } from "./dissection.ts";
import { beyond, fromParts, part } from "../verdict.ts";
import { precondition } from "../measure.ts";
import { PAPER_LAYER_WIDTH } from "../../dissection/scaled_units.ts";

/** (b): the drop of overall accuracy with the top k20 removed lies below 2 points. */
const OVERALL = { bar: 0.02, side: "below", inclusive: false } as const;
/** (c): the class with only its top k20 kept, minus the original, lies above -10 points. */
const KEEP = { bar: -0.1, side: "above", inclusive: false } as const;
const points = (x: number) => Math.round(100 * x);

/** The measure of claim C4 (rule above). */
export const C4: ClaimMeasure = {
  id: "C4",
  thresholds: "val",
  needs: ["rank-units", "ablate-class", "classify-val"],
  rule: `the paper's 4 and 20 units of ${PAPER_LAYER_WIDTH} scaled to the layer (k4, k20); ` +
    `class chosen among those below ${
      100 * CEILING
    }% balanced accuracy on train as the one (with ` +
    "held-out images) whose top-k4 units have the highest mean IoU (without a dissection in the " +
    "run: the highest summed importance). Removal holds when removing its top k4 lowers its " +
    "balanced accuracy (95% interval of the drop above 0) and removing its top k20 lowers overall " +
    `accuracy by under ${
      points(OVERALL.bar)
    } points (upper end of the interval); keep-only holds ` +
    `when keeping only its top k20 keeps its balanced accuracy within ${-points(
      KEEP.bar,
    )} points ` +
    `of the original (lower end above ${points(KEEP.bar)}). Needs a class below the ceiling`,
  async measure(q, ctx) {
    const hasIou = "iou-val" in ctx.inputs;
    const { k: k4, width } = await scaledSize(q, 4);
    const { k: k20 } = await scaledSize(q, 20);
    const belowCeiling = await precondition(q, {
      need: `classes below the ceiling (balanced accuracy < ${100 * CEILING}% on train)`,
      paper: "the paper's ski resort is at 81.4% balanced accuracy before any unit is removed, " +
        "in a VGG-16 at 53.3% top-1 over 365 classes: there is room for removal to show",
      bar: "at least 1",
      sql: `SELECT count(*) AS value FROM (${classBalancedSql()}) WHERE balanced < ${CEILING}`,
      test: (v) => v >= 1,
    });
    // Among the classes below the ceiling; with none, among all (the page still shows the numbers).
    const eligible = belowCeiling.met
      ? `(SELECT label FROM (${classBalancedSql()}) WHERE balanced < ${CEILING})`
      : `(SELECT label FROM ${TRUTH})`;
    const chooseSql = hasIou
      ? `SELECT i.label, i.class, avg(l.iou) AS score FROM rank_units__importance i
         JOIN iou_val__unit_labels l ON l.layer = i.layer AND l.unit = i.unit
         WHERE i.rank < ${k4} AND i.label IN ${eligible}
         GROUP BY ALL ORDER BY score DESC, i.label LIMIT 1`
      : `SELECT label, class, sum(drop) AS score FROM rank_units__importance
         WHERE rank < ${k4} AND label IN ${eligible}
         GROUP BY ALL ORDER BY score DESC, label LIMIT 1`;
    const [chosen] = await q.rows<{ label: number; class: string; score: number }>(chooseSql);
    if (!chosen) throw new InsufficientData("no class has held-out images");
    const c = chosen.label;
    const base = await outcomes(q, { mode: "none", k: 0, label: -1 });
    const get = (mode: string, k: number) => outcomes(q, { mode, k, label: c });
    const [top4, top20, keep20] = [
      await get("remove-top", k4),
      await get("remove-top", k20),
      await get("keep-top", k20),
    ];
    const n = base.labels.length;
    const measured = (label: string, ci: Interval, sql: string) =>
      measuredInterval(q, label, ci, sql);
    const stat = (label: string, f: (w: Uint32Array) => number, sql: string) =>
      measured(label, interval(n, f), sql);
    const values = [
      stat(
        `${chosen.class}: balanced accuracy, original`,
        (w) => weightedBalanced(base, c, w),
        settingSql({ mode: "none", k: 0, label: -1 }),
      ),
      stat(
        `${chosen.class}: top ${k4} removed`,
        (w) => weightedBalanced(top4, c, w),
        settingSql({ mode: "remove-top", k: k4, label: c }),
      ),
      stat(
        `${chosen.class}: top ${k20} removed`,
        (w) => weightedBalanced(top20, c, w),
        settingSql({ mode: "remove-top", k: k20, label: c }),
      ),
      stat(
        `${chosen.class}: only top ${k20} kept`,
        (w) => weightedBalanced(keep20, c, w),
        settingSql({ mode: "keep-top", k: k20, label: c }),
      ),
      stat(
        "overall accuracy, original",
        (w) => weightedAccuracy(base, w),
        settingSql({ mode: "none", k: 0, label: -1 }),
      ),
      stat(
        `overall accuracy, top ${k4} removed`,
        (w) => weightedAccuracy(top4, w),
        settingSql({ mode: "remove-top", k: k4, label: c }),
      ),
      stat(
        `overall accuracy, top ${k20} removed`,
        (w) => weightedAccuracy(top20, w),
        settingSql({ mode: "remove-top", k: k20, label: c }),
      ),
      stat(
        `overall accuracy, only top ${k20} kept`,
        (w) => weightedAccuracy(keep20, w),
        settingSql({ mode: "keep-top", k: k20, label: c }),
      ),
    ];
    const drop4 = interval(n, (w) => weightedBalanced(base, c, w) - weightedBalanced(top4, c, w));
    const overallDrop20 = interval(
      n,
      (w) => weightedAccuracy(base, w) - weightedAccuracy(top20, w),
    );
    const keepDiff = interval(
      n,
      (w) => weightedBalanced(keep20, c, w) - weightedBalanced(base, c, w),
    );
    // A difference reads both settings it compares.
    const both = (mode: string, k: number) =>
      settingsSql(
        `(s.mode = 'none' AND s.label = -1) OR (s.mode = '${mode}' AND s.k = ${k} AND s.label = ${c})`,
      );
    values.push(
      measured(`drop of class balanced accuracy, top ${k4} removed`, drop4, both("remove-top", k4)),
      measured(
        `drop of overall accuracy, top ${k20} removed`,
        overallDrop20,
        both("remove-top", k20),
      ),
      measured(
        `class balanced accuracy, only top ${k20} kept, minus original`,
        keepDiff,
        both("keep-top", k20),
      ),
    );
    requireIntervals(`class ${chosen.class}`, drop4, overallDrop20, keepDiff);
    const a = beyond(drop4, { bar: 0, side: "above", inclusive: false });
    const b = beyond(overallDrop20, OVERALL);
    const cc = beyond(keepDiff, KEEP);
    values.push(width, belowCeiling.value);
    const parts = [
      part(
        "removal",
        a && b ? "holds" : "fails",
        `(a) top-${k4} removal lowers the class: ${a}; (b) overall drop with top ${k20} ` +
          `removed under ${points(OVERALL.bar)} points: ${b}`,
      ),
      part(
        "keep-only",
        cc ? "holds" : "fails",
        `(c) only top ${k20} kept within ${-points(KEEP.bar)} points of the original: ${cc}`,
      ),
    ];
    const units = await q.rows<
      { layer: string; unit: number; name: string; category: string; iou: number }
    >(
      hasIou
        ? `SELECT l.layer, l.unit, l.name, l.category, l.iou FROM rank_units__importance i
           JOIN iou_val__unit_labels l ON l.layer = i.layer AND l.unit = i.unit
           WHERE i.label = ${c} AND i.rank < 4 ORDER BY i.rank`
        : `SELECT layer, unit, '(not dissected)' AS name, '' AS category, 0.0 AS iou
           FROM rank_units__importance WHERE label = ${c} AND rank < 4 ORDER BY rank`,
    );
    return {
      values,
      preconditions: [belowCeiling],
      parts,
      verdict: fromParts(
        parts,
        `class ${chosen.class}, k4 = ${k4} and k20 = ${k20} of ${width.value} units (paper: 4 and ` +
          `20 of ${PAPER_LAYER_WIDTH}): (a) top-${k4} removal drop > 0: ${a}; (b) overall drop ` +
          `with top ${k20} removed < ${points(OVERALL.bar)} points: ${b}; (c) only top ${k20} ` +
          `kept within ${-points(KEEP.bar)} points: ` +
          `${cc}.`,
        [belowCeiling],
      ),
      figures: [{
        kind: "bars",
        title: `${chosen.class}: balanced accuracy of the class and overall accuracy`,
        xLabel: "setting",
        yLabel: "accuracy",
        x: [0, 1, 2, 3],
        xNames: ["original", `top ${k4} removed`, `top ${k20} removed`, `only top ${k20}`],
        series: [
          {
            label: `${chosen.class} (balanced)`,
            values: values.slice(0, 4).map((v) => Number(v.value)),
          },
          { label: "overall", values: values.slice(4, 8).map((v) => Number(v.value)) },
        ],
      }],
      extraHtml:
        `<h2>The 4 most important units for ${chosen.class} (context: k4 = ${k4} removed)</h2>${
          hasIou ? await unitImages(ctx, "iou-val", units) : "<p>(no dissection in this run)</p>"
        }<p class="muted">Class chosen by: <code>${chooseSql.replaceAll(/\s+/g, " ")}</code></p>`,
    };
  },
};
