/**
 * C4: a few units carry one class: removing them ruins that class but barely
 * touches overall accuracy; keeping only them keeps the class.
 * The class is chosen by a rule fixed before the run: the class whose top 4
 * units (by importance on train) have the highest mean IoU at that layer
 * (without a dissection in the run, the highest summed importance).
 * Rule (fixed before any run): holds when (a) removing its top 4 units lowers
 * its balanced accuracy, the 95% interval of the drop above 0; (b) removing
 * its top 20 lowers overall accuracy by less than 2 points (upper end of the
 * interval); (c) keeping only its top 20 keeps its balanced accuracy within
 * 10 points of the original (lower end of the interval of the difference
 * above -10 points). Does not hold otherwise.
 */
import { type ClaimMeasure, InsufficientData } from "../measure.ts";
import type { Interval } from "../../stats/bootstrap.ts";
import {
  interval,
  measuredInterval,
  outcomes,
  requireIntervals,
  settingSql,
  settingsSql,
  sizeAtMost,
  TRUTH,
  weightedAccuracy,
  weightedBalanced,
} from "./ablation.ts";
import { unitImages } from "./dissection.ts";

/** The measure of claim C4 (rule above). */
export const C4: ClaimMeasure = {
  id: "C4",
  thresholds: "val",
  needs: ["rank-units", "ablate-class", "classify-val"],
  rule:
    "class chosen as the one (with held-out images) whose top-4 units have the highest mean IoU " +
    "(without a dissection in the run: the highest summed importance); holds when removing " +
    "its top 4 lowers its balanced accuracy (95% interval of the drop above 0), removing its top 20 " +
    "lowers overall accuracy by under 2 points (upper end of the interval), and keeping only its " +
    "top 20 keeps its balanced accuracy within 10 points of the original (lower end above -10)",
  async measure(q, ctx) {
    const hasIou = "iou-val" in ctx.inputs;
    const chooseSql = hasIou
      ? `SELECT i.label, i.class, avg(l.iou) AS score FROM rank_units__importance i
         JOIN iou_val__unit_labels l ON l.layer = i.layer AND l.unit = i.unit
         WHERE i.rank < 4 AND i.label IN (SELECT label FROM ${TRUTH})
         GROUP BY ALL ORDER BY score DESC, i.label LIMIT 1`
      : `SELECT label, class, sum(drop) AS score FROM rank_units__importance
         WHERE rank < 4 AND label IN (SELECT label FROM ${TRUTH})
         GROUP BY ALL ORDER BY score DESC, label LIMIT 1`;
    const [chosen] = await q.rows<{ label: number; class: string; score: number }>(chooseSql);
    if (!chosen) throw new InsufficientData("no class has held-out images");
    const c = chosen.label;
    const base = await outcomes(q, { mode: "none", k: 0, label: -1 });
    const get = (mode: string, k: number) => outcomes(q, { mode, k, label: c });
    // The paper's 4 and 20, or the largest sizes a smaller layer allows.
    const k4 = await sizeAtMost(q, 4), k20 = await sizeAtMost(q, 20);
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
    const a = drop4.lo > 0, b = overallDrop20.hi < 0.02, cc = keepDiff.lo > -0.1;
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
      verdict: {
        outcome: a && b && cc ? "holds" : "fails",
        detail:
          `class ${chosen.class}: (a) top-${k4} removal drop > 0: ${a}; (b) overall drop with top ` +
          `${k20} removed < 2 points: ${b}; (c) only top ${k20} kept within 10 points: ${cc}.`,
      },
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
      extraHtml: `<h2>The 4 most important units for ${chosen.class}</h2>${
        hasIou ? await unitImages(ctx, "iou-val", units) : "<p>(no dissection in this run)</p>"
      }<p class="muted">Class chosen by: <code>${chooseSql.replaceAll(/\s+/g, " ")}</code></p>`,
    };
  },
};
