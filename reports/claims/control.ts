/**
 * The random-weight control of the counting claims (C1, C2, C7, C8): the same
 * statistic on the trained network and on its control (the same architecture
 * with its weights re-drawn, dissected by the same stages), and a permutation
 * test of the difference: the two networks' units pooled and split at random
 * (stats/permutation.ts). A bootstrap over units would bias counts of
 * distinct concepts (a resample repeats units and drops others, more so for
 * a network whose concepts each have one unit). The original Network
 * Dissection judged interpretability against randomly initialized networks;
 * a count with no baseline says nothing about training.
 */
import type { Measured, ReportQuery } from "../measure.ts";
import { permutationDifference } from "../../stats/permutation.ts";
import { bootstrapDifference } from "../../stats/bootstrap.ts";
import { intervalOutcome, type Outcome } from "../verdict.ts";
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
  w: Uint32Array = new Uint32Array(rows.length).fill(1),
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
  w: Uint32Array = new Uint32Array(rows.length).fill(1),
  categories: readonly string[] = ["object", "part"],
): number {
  let hit = 0, all = 0;
  rows.forEach((r, i) => {
    all += w[i];
    if (r.iou >= IOU_BAR && categories.includes(r.category)) hit += w[i];
  });
  return all ? hit / all : NaN;
}

/** Two-sided level of the permutation test: each side at half of it. */
const LEVEL = 0.05;

/** How the control enters a rule, as the rule texts say it. */
export const CONTROL_RULE = "and the trained network beats its random-weight control: trained " +
  "minus control is above what random splits of the two networks' pooled units give (one-sided " +
  `permutation p < ${LEVEL / 2}, 1000 permutations, seed 1; below them: does not hold; ` +
  "otherwise inconclusive)";

/** The control's rule for a statistic compared by bootstrap (a correlation). */
export const CONTROL_RULE_BOOTSTRAP = "and the trained network's statistic beats its " +
  "random-weight control's: the 95% bootstrap interval of trained minus control (each network's " +
  "units resampled on their own, 1000 resamples, seed 1) lies above 0 (below 0: does not hold; " +
  "otherwise inconclusive)";

/**
 * One statistic on the trained network's rows and the control's, and a
 * permutation test of their difference; `outcome`: holds when trained minus
 * control is significantly above 0, fails when significantly below,
 * inconclusive otherwise.
 */
export async function againstControl<R>(
  q: ReportQuery,
  o: {
    label: string;
    trainedSql: string;
    controlSql: string;
    stat: (rows: readonly R[]) => number;
    computedBy: string;
    /**
     * A statistic that a bootstrap does not bias (a correlation), under
     * resampling weights: then the difference gets a 95% bootstrap interval
     * (each network's units resampled on their own) instead of a permutation
     * test, which would also reject on differences of level or spread.
     */
    weighted?: (rows: readonly R[], w: Uint32Array) => number;
  },
): Promise<{ trained: Measured; control: Measured; difference: Measured; outcome: Outcome }> {
  const a = await q.rows<R>(o.trainedSql), b = await q.rows<R>(o.controlSql);
  const point = (label: string, rows: R[], sql: string): Measured => ({
    label,
    value: rows.length ? o.stat(rows) : null,
    sql,
    tables: q.tablesIn(sql),
    computedBy: o.computedBy,
  });
  const both = `${o.trainedSql};\n-- and the control:\n${o.controlSql}`;
  const tested = !a.length || !b.length
    ? { value: null, outcome: "inconclusive" as Outcome, computedBy: o.computedBy }
    : o.weighted
    ? bootstrapTest(a, b, o.weighted, o.computedBy)
    : permutationTest(a, b, o.stat, o.computedBy);
  const { outcome, ...difference } = tested;
  return {
    trained: point(`${o.label}, trained`, a, o.trainedSql),
    control: point(`${o.label}, random-weight control`, b, o.controlSql),
    difference: {
      label: `${o.label}, trained minus control`,
      ...difference,
      sql: both,
      tables: q.tablesIn(both),
    },
    outcome,
  };
}

/** The difference of a per-unit statistic with a 95% bootstrap interval, each network resampled. */
function bootstrapTest<R>(
  a: R[],
  b: R[],
  f: (rows: readonly R[], w: Uint32Array) => number,
  computedBy: string,
) {
  const ci = bootstrapDifference(
    { n: a.length, stat: (w) => f(a, w) },
    { n: b.length, stat: (w) => f(b, w) },
    { resamples: 1000, seed: 1 },
  );
  return {
    value: ci.estimate,
    ci: [ci.lo, ci.hi] as [number, number],
    ciMethod: `95% percentile bootstrap, ${a.length} trained and ${b.length} control units ` +
      "each resampled on their own, 1000 resamples, seed 1",
    computedBy: `${computedBy}; bootstrapDifference (stats/bootstrap.ts)`,
    outcome: intervalOutcome(ci, { bar: 0, side: "above", inclusive: false }),
  };
}

/** The difference against random splits of the pooled units, with its null range (not a CI). */
function permutationTest<R>(
  a: R[],
  b: R[],
  stat: (rows: readonly R[]) => number,
  computedBy: string,
) {
  const t = permutationDifference(a, b, stat, { permutations: 1000, seed: 1 });
  const outcome: Outcome = t.pAbove < LEVEL / 2
    ? "holds"
    : t.pBelow < LEVEL / 2
    ? "fails"
    : "inconclusive";
  return {
    value: t.estimate,
    // The middle 95% of the differences random splits give: the observed one is judged against it.
    ci: [t.nullLo, t.nullHi] as [number, number],
    ciKind: "null" as const,
    ciMethod: `not a confidence interval: the middle 95% of the difference under the null ` +
      `(${a.length} trained and ${b.length} control units pooled and split at random, ` +
      `${t.permutations} permutations, seed 1); one-sided p = ${t.pAbove.toFixed(4)} above, ` +
      `${t.pBelow.toFixed(4)} below`,
    computedBy: `${computedBy}; permutationDifference (stats/permutation.ts)`,
    outcome,
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

/** The control's comparison in words: the difference and the null's middle 95% (or its interval). */
export function controlText(difference: Measured): string {
  const [lo, hi] = difference.ci ?? [NaN, NaN];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3).replace(/\.?0+$/, "") : "n/a");
  const range = difference.ciKind === "null"
    ? `random splits of their units give ${f(lo)} to ${f(hi)}`
    : `95% CI ${f(lo)} to ${f(hi)}`;
  return `trained minus random-weight control ${f(Number(difference.value))} (${range})`;
}
