/**
 * The random-weight control of the counting claims (C1, C2, C7, C8): the same
 * statistic on the trained network and on its control (the same architecture
 * with its weights re-drawn, dissected by the same stages), and the interval
 * of the difference, each network's units resampled on their own. The
 * original Network Dissection judged interpretability against randomly
 * initialized networks; a count with no baseline says nothing about training.
 */
import type { Measured, ReportQuery } from "../measure.ts";
import { bootstrapDifference } from "../../stats/bootstrap.ts";
import { type Bar, intervalOutcome, type Outcome } from "../verdict.ts";
import { IOU_BAR } from "./dissection.ts";

/** A unit's best label, as a dissection's `unit_labels` has it. */
export interface UnitLabel {
  unit: number;
  concept: number;
  category: string;
  iou: number;
}

/** SQL: the units of one layer of a dissection with their best labels, in unit order. */
export function unitLabelsSql(iouView: string, layer: string): string {
  return `SELECT unit, concept, category, iou FROM ${iouView}
    WHERE layer = '${layer.replaceAll("'", "''")}' ORDER BY unit`;
}

/**
 * Distinct concepts matched by the units drawn (weight > 0) whose best IoU
 * reaches the detector bar, optionally of some categories only.
 */
export function distinctConcepts(
  rows: readonly UnitLabel[],
  w: Uint32Array,
  categories?: readonly string[],
): number {
  const seen = new Set<number>();
  rows.forEach((r, i) => {
    if (w[i] && r.iou >= IOU_BAR && (!categories || categories.includes(r.category))) {
      seen.add(r.concept);
    }
  });
  return seen.size;
}

/** The share of the units drawn (counted with their weights) that detect a concept of some categories. */
export function detectorShare(
  rows: readonly UnitLabel[],
  w: Uint32Array,
  categories: readonly string[],
): number {
  let hit = 0, all = 0;
  rows.forEach((r, i) => {
    all += w[i];
    if (r.iou >= IOU_BAR && categories.includes(r.category)) hit += w[i];
  });
  return all ? hit / all : NaN;
}

/** The bar the trained network must clear against its control: the difference lies above 0. */
export const CONTROL_BAR: Bar = { bar: 0, side: "above", inclusive: false };

/** How the control enters a rule, as the rule texts say it. */
export const CONTROL_RULE = "and the trained network beats its random-weight control: the 95% " +
  "bootstrap interval of trained minus control (each network's units resampled on their own, " +
  "1000 resamples, seed 1) lies above 0";

/**
 * One statistic on the trained network's rows and the control's, and its
 * difference with an interval; `outcome` is the difference against CONTROL_BAR.
 */
export async function againstControl<R>(
  q: ReportQuery,
  o: {
    label: string;
    trainedSql: string;
    controlSql: string;
    stat: (rows: R[], w: Uint32Array) => number;
    computedBy: string;
    /** Said beside the interval (how the statistic behaves under resampling). */
    note?: string;
  },
): Promise<{ trained: Measured; control: Measured; difference: Measured; outcome: Outcome }> {
  const a = await q.rows<R>(o.trainedSql), b = await q.rows<R>(o.controlSql);
  const ones = (n: number) => new Uint32Array(n).fill(1);
  const point = (label: string, rows: R[], sql: string): Measured => ({
    label,
    value: rows.length ? o.stat(rows, ones(rows.length)) : null,
    sql,
    tables: q.tablesIn(sql),
    computedBy: o.computedBy,
  });
  const ci = a.length && b.length
    ? bootstrapDifference(
      { n: a.length, stat: (w) => o.stat(a, w) },
      { n: b.length, stat: (w) => o.stat(b, w) },
      { resamples: 1000, seed: 1 },
    )
    : { estimate: NaN, lo: NaN, hi: NaN };
  const both = `${o.trainedSql};\n-- and the control:\n${o.controlSql}`;
  return {
    trained: point(`${o.label}, trained`, a, o.trainedSql),
    control: point(`${o.label}, random-weight control`, b, o.controlSql),
    difference: {
      label: `${o.label}, trained minus control`,
      value: ci.estimate,
      ci: [ci.lo, ci.hi],
      ciMethod: `95% percentile bootstrap, ${a.length} trained and ${b.length} control units ` +
        `each resampled on their own, 1000 resamples, seed 1${o.note ? `; ${o.note}` : ""}`,
      computedBy: `${o.computedBy}; bootstrapDifference (stats/bootstrap.ts)`,
      sql: both,
      tables: q.tablesIn(both),
    },
    outcome: intervalOutcome(ci, CONTROL_BAR),
  };
}

/**
 * A rule's outcome and the control's, together: holds when both hold, does
 * not hold when either does not, inconclusive otherwise.
 */
export function withControl(rule: Outcome, control: Outcome): Outcome {
  if (rule === "fails" || control === "fails") return "fails";
  if (rule === "holds" && control === "holds") return "holds";
  return "inconclusive";
}

/** The control's comparison in words: the difference and its interval. */
export function controlText(difference: Measured): string {
  const [lo, hi] = difference.ci ?? [NaN, NaN];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3).replace(/\.?0+$/, "") : "n/a");
  return `trained minus random-weight control ${f(Number(difference.value))} (95% CI ${f(lo)} to ${
    f(hi)
  })`;
}

/** Why a count of distinct concepts sits high in its own bootstrap interval. */
export const DISTINCT_NOTE = "a resample repeats some units and drops others, so it matches " +
  "fewer distinct concepts: the interval of a count of distinct concepts lies low, and can " +
  "exclude the estimate";
