/**
 * Accuracies under unit removal, from per-image predictions of ablate-class,
 * with seeded bootstrap intervals over images (every setting resampled with
 * the same images, so differences between settings are paired).
 */
import { InsufficientData, type Measured, precondition, type ReportQuery } from "../measure.ts";
import type { Precondition } from "../verdict.ts";
import { bootstrap, type Interval } from "../../stats/bootstrap.ts";
import { balancedAccuracy } from "../../dissection/ablation.ts";
import { scaledUnits } from "../../dissection/scaled_units.ts";

/**
 * A class at or above this balanced accuracy has no room left to show the
 * paper's effects (the paper's ski resort is at 81.4%, and its VGG-16 reaches
 * 53.3% top-1 over 365 classes).
 */
export const CEILING = 0.95;

/** SQL: the units of the ranked layer (rank-units ranks every unit for every class). */
export const WIDTH_SQL = "SELECT count(DISTINCT unit) AS value FROM rank_units__importance";

/** The view of ablate-class's predictions: one row per setting and val image. */
export const PRED = "ablate_class__predictions";
/** The view of ablate-class's settings: class, mode and k of each. */
export const SETTINGS = "ablate_class__settings";
/** The true label of each val image, in the classifier's label space. */
export const TRUTH = "classify_val__predictions";

/** One removal setting: which class's units, how (mode) and how many (k). */
export interface SettingKey {
  mode: string;
  k: number;
  /** The class whose units are removed (-1: the unablated model). */
  label: number;
}

/** SQL: one row per image of the setting, with its true label and prediction. */
export function settingSql(s: SettingKey): string {
  return settingsSql(`s.mode = '${s.mode}' AND s.k = ${s.k} AND s.label = ${s.label}`);
}

/** SQL: the predictions of every setting matching a condition on s (mode, k, label). */
export function settingsSql(where: string): string {
  return `SELECT s.mode, s.k, s.label AS removed_for, p.image, t.label, p.predicted FROM ${PRED} p
    JOIN ${SETTINGS} s USING (setting) JOIN ${TRUTH} t USING (image)
    WHERE ${where} ORDER BY s.setting, p.image`;
}

/** SQL: the baseline (nothing removed) and every class's setting of size k in the given modes. */
export function baselineAndModesSql(k: number, modes: string[]): string {
  return settingsSql(
    `(s.mode = 'none' AND s.label = -1) OR (s.k = ${k} AND s.mode IN (${
      modes.map((m) => `'${m}'`).join(", ")
    }))`,
  );
}

/** The classes the ablation covers that have images in the held-out set. */
export async function evaluableClasses(q: ReportQuery): Promise<{ label: number; name: string }[]> {
  return await q.rows<{ label: number; name: string }>(
    `SELECT DISTINCT s.label, c.name FROM ${SETTINGS} s JOIN classify_val__classes c USING (label)
     WHERE s.label IN (SELECT DISTINCT label FROM ${TRUTH}) ORDER BY s.label`,
  );
}

/** Intervals a verdict rests on must exist; otherwise the data cannot answer. */
export function requireIntervals(what: string, ...cis: Interval[]): void {
  if (
    cis.some((c) =>
      !Number.isFinite(c.estimate) || !Number.isFinite(c.lo) || !Number.isFinite(c.hi)
    )
  ) {
    throw new InsufficientData(`${what}: too few held-out images of a class for an interval`);
  }
}

/** Val images' true labels and the predictions under one setting, in image order. */
export interface Outcomes {
  labels: Int32Array;
  predicted: Int32Array;
}

/** The labels and predictions under one setting. */
export async function outcomes(q: ReportQuery, s: SettingKey): Promise<Outcomes> {
  const rows = await q.rows<{ label: number; predicted: number }>(settingSql(s));
  if (!rows.length) throw new Error(`no predictions for ${JSON.stringify(s)}`);
  return {
    labels: Int32Array.from(rows, (r) => r.label),
    predicted: Int32Array.from(rows, (r) => r.predicted),
  };
}

/** Balanced accuracy of class c under weights w (how often each image was drawn). */
export function weightedBalanced(o: Outcomes, c: number, w: Uint32Array): number {
  let pos = 0, tp = 0, all = 0, fp = 0;
  for (let i = 0; i < o.labels.length; i++) {
    const wi = w[i];
    if (!wi) continue;
    all += wi;
    if (o.labels[i] === c) {
      pos += wi;
      if (o.predicted[i] === c) tp += wi;
    } else if (o.predicted[i] === c) fp += wi;
  }
  return pos ? balancedAccuracy(tp, fp, pos, all) : NaN;
}

/** Accuracy with each image weighted (a bootstrap resample's counts). */
export function weightedAccuracy(o: Outcomes, w: Uint32Array): number {
  let all = 0, ok = 0;
  for (let i = 0; i < o.labels.length; i++) {
    all += w[i];
    if (o.labels[i] === o.predicted[i]) ok += w[i];
  }
  return ok / all;
}

/** A statistic of several settings' outcomes, with a paired bootstrap interval. */
export function interval(
  n: number,
  stat: (w: Uint32Array) => number,
  seed = 1,
): Interval {
  return bootstrap(n, stat, { resamples: 500, seed });
}

/** How the ablation pages' confidence intervals are computed, as the pages say it. */
export const CI_METHOD =
  "95% percentile bootstrap over val images (500 resamples, seed 1), paired across settings";

/** The largest removal size the run has that is at most k (the paper's k may exceed a small layer). */
export async function sizeAtMost(q: ReportQuery, k: number): Promise<number> {
  const [r] = await q.rows<{ k: number }>(
    `SELECT max(k) AS k FROM ${SETTINGS} WHERE k > 0 AND k <= ${k}`,
  );
  if (!r || r.k === null) throw new Error(`no removal size <= ${k} in this run`);
  return r.k;
}

/**
 * The removal size for the paper's k of 512 units: k scaled to the ranked
 * layer's width (scaled_units.ts), or the run's largest size below it.
 */
export async function scaledSize(
  q: ReportQuery,
  paperK: number,
): Promise<{ k: number; width: Measured }> {
  const width = await q.value("units of the ranked layer", WIDTH_SQL);
  return { k: await sizeAtMost(q, scaledUnits(paperK, Number(width.value))), width };
}

/**
 * SQL: each class's balanced accuracy on the training split with nothing
 * removed (rank-units' baseline, unit -1; the arithmetic of balancedAccuracy
 * in dissection/ablation.ts), over the classes the ablation covers that have
 * held-out images. The ceiling is judged here, on train, so that which
 * classes are judged is not chosen with the evaluation data.
 */
export function classBalancedSql(): string {
  return `SELECT label, 0.5 * (tp / positives + (images - positives - fp) / (images - positives))
      AS balanced
    FROM rank_units__counts
    WHERE unit = -1 AND label IN (SELECT DISTINCT label FROM ${SETTINGS})
      AND label IN (SELECT DISTINCT label FROM ${TRUTH})`;
}

/** The precondition of C5 and C6: most classes below the ceiling on train. */
export function mostBelowCeiling(q: ReportQuery): Promise<Precondition> {
  return precondition(q, {
    need: `share of classes below the ceiling (balanced accuracy < ${100 * CEILING}% on train)`,
    paper: "the paper repeats the test for all 365 classes of a VGG-16 at 53.3% top-1 " +
      "(Fig. 2d shows their original accuracies spread far below perfect)",
    bar: "at least one half",
    sql: `SELECT avg((balanced < ${CEILING})::INT) AS value FROM (${classBalancedSql()})`,
    test: (v) => v >= 0.5,
  });
}

/** A statistic of the ablation with its interval and the SQL of every setting it reads. */
export function measuredInterval(
  q: ReportQuery,
  label: string,
  ci: Interval,
  sql: string,
): Measured {
  return {
    label,
    value: ci.estimate,
    ci: [ci.lo, ci.hi],
    ciMethod: CI_METHOD,
    computedBy:
      "weightedBalanced / weightedAccuracy, bootstrap by interval (reports/claims/ablation.ts)",
    sql,
    tables: q.tablesIn(sql),
  };
}
