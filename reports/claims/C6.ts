/**
 * C6: C4 holds for every class. Measured as the paper summarizes it (Fig. 2d):
 * means over classes, with every class shown in the figure.
 * Rule (fixed before any run), with k the paper's 20 of 512 units scaled to
 * the layer (scaled_units.ts), over all classes, in two parts: removal holds
 * when the mean balanced accuracy with each class's top k units removed is
 * more than 10 points below the original mean (lower end of the 95% interval
 * of the drop above 0.10); keep-only holds when the mean with only the top k
 * kept is within 10 points of the original (lower end of the interval of the
 * difference above -0.10). Each does not hold otherwise. Precondition: at
 * least half of the classes below the ceiling (CEILING in ablation.ts).
 */
import type { ClaimMeasure } from "../measure.ts";
import { beyond, fromParts, part } from "../verdict.ts";
import type { Interval } from "../../stats/bootstrap.ts";
import {
  baselineAndModesSql,
  CEILING,
  evaluableClasses,
  interval,
  measuredInterval,
  mostBelowCeiling,
  type Outcomes,
  outcomes,
  requireIntervals,
  scaledSize,
  settingSql,
  weightedBalanced,
} from "./ablation.ts";

const PAPER_K = 20;
/** Removal: the mean drop with each class's top k removed lies above 10 points. */
const REMOVAL = { bar: 0.1, side: "above", inclusive: false } as const;
/** Keep-only: the mean with only the top k kept, minus the original, lies above -10 points. */
const KEEP = { bar: -0.1, side: "above", inclusive: false } as const;

/** The measure of claim C6 (rule above). */
export const C6: ClaimMeasure = {
  id: "C6",
  needs: ["rank-units", "ablate-class", "classify-val"],
  rule: `k: the paper's ${PAPER_K} of 512 units scaled to the layer; over all classes, removal ` +
    "holds when the mean balanced accuracy with each class's top k units removed is more than " +
    `${100 * REMOVAL.bar} points below the original (lower end of the 95% interval of the drop ` +
    `above ${REMOVAL.bar}); keep-only holds when the mean with only the top k kept is within ` +
    `${-100 * KEEP.bar} points of the original (lower end of the difference's interval above ` +
    `${KEEP.bar}). Needs at least half of the classes ` +
    `below ${100 * CEILING}% balanced accuracy on train`,
  async measure(q) {
    const classes = await evaluableClasses(q);
    const { k: K, width } = await scaledSize(q, PAPER_K);
    const belowCeiling = await mostBelowCeiling(q);
    const base = await outcomes(q, { mode: "none", k: 0, label: -1 });
    const n = base.labels.length;
    const removed: Outcomes[] = [], kept: Outcomes[] = [];
    for (const c of classes) {
      removed.push(await outcomes(q, { mode: "remove-top", k: K, label: c.label }));
      kept.push(await outcomes(q, { mode: "keep-top", k: K, label: c.label }));
    }
    const mean = (f: (j: number) => number) =>
      classes.reduce((s, _, j) => s + f(j), 0) / classes.length;
    const orig = (w: Uint32Array) => mean((j) => weightedBalanced(base, classes[j].label, w));
    const rem = (w: Uint32Array) => mean((j) => weightedBalanced(removed[j], classes[j].label, w));
    const kep = (w: Uint32Array) => mean((j) => weightedBalanced(kept[j], classes[j].label, w));
    const sqlOf = (modes: string[]) => baselineAndModesSql(K, modes);
    const m = (label: string, ci: Interval, sql: string) => measuredInterval(q, label, ci, sql);
    const o = interval(n, orig), r = interval(n, rem), k = interval(n, kep);
    const drop = interval(n, (w) => orig(w) - rem(w));
    const keepDiff = interval(n, (w) => kep(w) - orig(w));
    requireIntervals("mean over classes", drop, keepDiff);
    const ones = new Uint32Array(n).fill(1);
    const points = (x: number) => (100 * x).toFixed(1);
    const parts = [
      part(
        "removal",
        beyond(drop, REMOVAL) ? "holds" : "fails",
        `drop ${points(drop.estimate)} points (95% CI ${points(drop.lo)} to ${points(drop.hi)})`,
      ),
      part(
        "keep-only",
        beyond(keepDiff, KEEP) ? "holds" : "fails",
        `only top ${K} kept minus original ${points(keepDiff.estimate)} points (95% CI ` +
          `${points(keepDiff.lo)} to ${points(keepDiff.hi)})`,
      ),
    ];
    return {
      values: [
        m("mean balanced accuracy, original", o, settingSql({ mode: "none", k: 0, label: -1 })),
        m(`mean, top ${K} removed`, r, sqlOf(["remove-top"])),
        m(`mean, only top ${K} kept`, k, sqlOf(["keep-top"])),
        m(`drop with top ${K} removed`, drop, sqlOf(["remove-top"])),
        m(`only top ${K} kept minus original`, keepDiff, sqlOf(["keep-top"])),
        width,
        belowCeiling.value,
      ],
      preconditions: [belowCeiling],
      parts,
      verdict: fromParts(
        parts,
        `mean over ${classes.length} classes, k = ${K} of ${width.value} units (paper: ` +
          `${PAPER_K} of 512): ${(100 * o.estimate).toFixed(1)}% original, ` +
          `${(100 * r.estimate).toFixed(1)}% with top ${K} removed, ` +
          `${(100 * k.estimate).toFixed(1)}% with only top ${K} kept.`,
        [belowCeiling],
      ),
      figures: [{
        kind: "bars",
        title: "Balanced accuracy of every class (val)",
        xLabel: "class",
        yLabel: "balanced accuracy",
        x: classes.map((_, j) => j),
        xNames: classes.map((c) => c.name),
        series: [
          { label: "original", values: classes.map((c) => weightedBalanced(base, c.label, ones)) },
          {
            label: `top ${K} removed`,
            values: classes.map((c, j) => weightedBalanced(removed[j], c.label, ones)),
          },
        ],
      }, {
        kind: "bars",
        title: `Balanced accuracy of every class with only its top ${K} units kept (val)`,
        xLabel: "class",
        yLabel: "balanced accuracy",
        x: classes.map((_, j) => j),
        xNames: classes.map((c) => c.name),
        series: [{
          label: `only top ${K}`,
          values: classes.map((c, j) => weightedBalanced(kept[j], c.label, ones)),
        }],
      }],
    };
  },
};
