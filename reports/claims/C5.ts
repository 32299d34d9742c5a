/**
 * C5: removing units in descending importance destroys a class fast;
 * ascending order barely matters. Ranking on train, evaluation on val.
 * Rule (fixed before any run): with k units removed (the paper's 20 of 512
 * scaled to the layer, scaled_units.ts), averaged over all classes: holds when the drop of balanced accuracy in descending order
 * exceeds the drop in ascending order (95% interval of the difference above
 * 0) and the ascending drop is under 5 points (upper end of its interval).
 * Precondition (as C6's): at least half of the classes below the ceiling on
 * train.
 */
import { beyond, settle } from "../verdict.ts";
import type { ClaimMeasure } from "../measure.ts";
import type { Interval } from "../../stats/bootstrap.ts";
import {
  baselineAndModesSql,
  evaluableClasses,
  interval,
  measuredInterval,
  mostBelowCeiling,
  type Outcomes,
  outcomes,
  requireIntervals,
  scaledSize,
  SETTINGS,
  weightedBalanced,
} from "./ablation.ts";

/** The paper's k, of conv5_3's 512 units. */
const K = 20;

/** Ascending removal "barely matters": its mean drop lies below 5 points. */
const BARELY = { bar: 0.05, side: "below", inclusive: false } as const;

/** The measure of claim C5 (rule above). */
export const C5: ClaimMeasure = {
  id: "C5",
  needs: ["rank-units", "ablate-class", "classify-val"],
  rule:
    `at k removed (the paper's ${K} of 512 scaled to the layer), mean over classes: holds when the balanced-accuracy drop in ` +
    "descending order exceeds the drop in ascending order (95% interval of the difference above 0) " +
    `and the ascending drop is under ${100 * BARELY.bar} points (upper end of its interval). ` +
    "Needs at least half of the classes below the ceiling on train",
  async measure(q) {
    const classes = await evaluableClasses(q);
    const sizes =
      (await q.rows<{ k: number }>(`SELECT DISTINCT k FROM ${SETTINGS} WHERE k > 0 ORDER BY k`))
        .map((r) => r.k);
    const base = await outcomes(q, { mode: "none", k: 0, label: -1 });
    const n = base.labels.length;
    const curve = async (mode: string) => {
      const out: Outcomes[][] = [];
      for (const k of sizes) {
        out.push(await Promise.all(classes.map((c) => outcomes(q, { mode, k, label: c.label }))));
      }
      return out;
    };
    const desc = await curve("remove-top"), asc = await curve("remove-bottom");
    const meanDrop = (o: Outcomes[], w: Uint32Array) =>
      classes.reduce(
        (s, c, j) => s + weightedBalanced(base, c.label, w) - weightedBalanced(o[j], c.label, w),
        0,
      ) /
      classes.length;
    const { k: scaledK, width } = await scaledSize(q, K);
    const belowCeiling = await mostBelowCeiling(q);
    const at = sizes.indexOf(scaledK);
    const descK = interval(n, (w) => meanDrop(desc[at], w));
    const ascK = interval(n, (w) => meanDrop(asc[at], w));
    const diff = interval(n, (w) => meanDrop(desc[at], w) - meanDrop(asc[at], w));
    const modeSql = (modes: string[]) => baselineAndModesSql(sizes[at], modes);
    const m = (label: string, ci: Interval, sql: string) => measuredInterval(q, label, ci, sql);
    requireIntervals("mean over classes", descK, ascK, diff);
    const faster = beyond(diff, { bar: 0, side: "above", inclusive: false });
    const barely = beyond(ascK, BARELY);
    const ones = new Uint32Array(n).fill(1);
    return {
      values: [
        m(`mean drop, ${sizes[at]} most important removed`, descK, modeSql(["remove-top"])),
        m(`mean drop, ${sizes[at]} least important removed`, ascK, modeSql(["remove-bottom"])),
        m(
          "difference (descending minus ascending)",
          diff,
          modeSql(["remove-top", "remove-bottom"]),
        ),
        // How much of the order rests on rank-units' tie-break (the soft drop), not on the
        // balanced-accuracy drop itself.
        await q.value(
          `share of the top ${sizes[at]} ranks tied with another unit of the class on the ` +
            "balanced-accuracy drop (ordered by the drop in soft balanced accuracy)",
          `SELECT avg(tied::INT) AS value FROM (
             SELECT rank, count(*) OVER (PARTITION BY label, drop) > 1 AS tied
             FROM rank_units__importance) WHERE rank < ${sizes[at]}`,
        ),
        width,
      ],
      preconditions: [belowCeiling],
      verdict: settle(
        faster && barely ? "holds" : "fails",
        `at k = ${sizes[at]} of ${width.value} units (paper: ${K} of 512): descending drop ` +
          `${(100 * descK.estimate).toFixed(1)} points, ascending ` +
          `${(100 * ascK.estimate).toFixed(1)} points.`,
        [belowCeiling],
        [
          faster ? "" : "the descending drop is not above the ascending one (95% interval)",
          barely ? "" : `the ascending drop is not under ${100 * BARELY.bar} points (95% interval)`,
        ].filter(Boolean).join("; "),
      ),
      figures: [{
        kind: "lines",
        title: "Mean balanced accuracy over classes as units are removed (val)",
        xLabel: "units removed",
        yLabel: "balanced accuracy",
        x: [0, ...sizes],
        series: [
          {
            label: "most important first",
            values: [0, ...sizes].map((_, i) =>
              i === 0
                ? classes.reduce((s, c) => s + weightedBalanced(base, c.label, ones), 0) /
                  classes.length
                : classes.reduce(
                  (s, c, j) => s + weightedBalanced(desc[i - 1][j], c.label, ones),
                  0,
                ) / classes.length
            ),
          },
          {
            label: "least important first",
            values: [0, ...sizes].map((_, i) =>
              i === 0
                ? classes.reduce((s, c) => s + weightedBalanced(base, c.label, ones), 0) /
                  classes.length
                : classes.reduce(
                  (s, c, j) => s + weightedBalanced(asc[i - 1][j], c.label, ones),
                  0,
                ) / classes.length
            ),
          },
        ],
      }],
    };
  },
};
