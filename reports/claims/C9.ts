/**
 * C9: a GAN unit predicts whether the generated image will contain its concept.
 * Rule: on the test half of the generated samples, holds when the 95%
 * bootstrap interval of the unit's balanced accuracy lies above 0.5 (chance);
 * does not hold when it lies below 0.5; inconclusive otherwise.
 *
 * Balanced accuracy, because the paper's 78.2% is plain accuracy on a balanced
 * set (800 samples with large windows, 800 without), which is what balanced
 * accuracy measures on an unbalanced one, and because the threshold is fitted
 * for it (dissection/threshold.ts). The first rule compared plain accuracy
 * with always guessing the majority, a yardstick the fitted threshold does not
 * aim at; it was changed on 2026-11-26 after a review found the mismatch, when
 * C9 had no data to measure (no generated sample had the concept over the
 * cutoff), so no result informed the change.
 * Preconditions: at least 20 test samples with the concept over the cutoff,
 * and 20 without (the paper had 800 of each).
 */
import { type ClaimMeasure, InsufficientData, type Measured } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { bothSides, detectionAccuracy, peakStrip, requireBothOutcomes } from "./unit_detector.ts";
import { intervalOutcome, settle } from "../verdict.ts";

const PEAKS = "gan_unit_classifier__peaks";
const UNIT = "gan_unit_classifier__unit";

/** The measure of claim C9 (rule above). */
export const C9: ClaimMeasure = {
  id: "C9",
  thresholds: "gan",
  needs: ["gan-unit-classifier"],
  rule: "on the test half of generated samples: holds when the 95% bootstrap interval of the " +
    "unit's balanced accuracy lies above 0.5 (chance); does not hold when it lies below 0.5; " +
    "inconclusive otherwise. Needs test samples with and without the concept",
  async measure(q) {
    const [u] = await q.rows<
      {
        layer: string;
        unit: number;
        concept: string;
        iou: number;
        threshold: number | null;
        min_fraction: number;
      }
    >(`SELECT * FROM ${UNIT}`);
    const large = `${u.concept} > ${100 * u.min_fraction}% of the image`;
    const preconditions = await bothSides(q, PEAKS, {
      what: `samples (${large})`,
      paper: 'the paper tests unit 314 on "800 generated images that have windows larger ' +
        'than 5% of the image area ... and 800 generated images that do not" (Fig. 3f)',
    });
    // The data is shown whether or not the test can be made.
    const context = [
      await q.value(
        `${u.layer} unit ${u.unit}: IoU with ${u.concept}`,
        `SELECT iou AS value FROM ${UNIT}`,
      ),
      await q.value(
        `largest share of a sample's pixels that are ${u.concept}`,
        `SELECT max(fraction) AS value FROM ${PEAKS}`,
      ),
      await q.value(
        `test samples with ${large}`,
        `SELECT count(*) AS value FROM ${PEAKS} WHERE half = 'test' AND present`,
      ),
    ];
    const strip = (t: number | null) =>
      peakStrip(q, PEAKS, {
        concept: u.concept,
        threshold: t,
        title: `Peak activation of unit ${u.unit}: samples without (left) and with (right) ` +
          `${large}` +
          (t === null ? " (no threshold could be fitted)" : `; threshold ${t.toFixed(3)}`),
      });
    if (u.threshold === null) {
      const detail =
        `the fitting half has samples only with or only without ${large}: no threshold`;
      if (preconditions.every((p) => p.met)) throw new InsufficientData(detail);
      return {
        values: context,
        preconditions,
        verdict: settle("inconclusive", `${detail}.`, preconditions),
        figures: [await strip(null)],
      };
    }
    const t = u.threshold;
    const sql = `SELECT p.present, p.peak > u.threshold AS fired FROM ${PEAKS} p, ${UNIT} u
      WHERE p.half = 'test' ORDER BY p.image`;
    const rows = await q.rows<{ present: boolean; fired: boolean }>(sql);
    const testable = preconditions.every((p) => p.met);
    // Measured whenever both sides have an image, testable or not: the numbers stay on the page.
    const bothPresent = new Set(rows.map((r) => r.present)).size === 2;
    if (testable) requireBothOutcomes(rows, large, "samples");
    const ci = bothPresent
      ? bootstrap(rows.length, (w) => detectionAccuracy(rows, w), { resamples: 1000, seed: 1 })
      : { estimate: NaN, lo: NaN, hi: NaN };
    const accuracy: Measured = {
      label: `balanced accuracy predicting ${large}`,
      value: ci.estimate,
      ci: [ci.lo, ci.hi],
      ciMethod:
        `over ${rows.length} test samples; 95% percentile bootstrap over samples, 1000 resamples, seed 1`,
      computedBy: "detectionAccuracy (reports/claims/unit_detector.ts)",
      sql,
      tables: q.tablesIn(sql),
    };
    return {
      values: [
        ...context,
        await q.value(
          "threshold on peak activation (fit half)",
          `SELECT threshold AS value FROM ${UNIT}`,
        ),
        accuracy,
      ],
      preconditions,
      verdict: settle(
        intervalOutcome(ci, { bar: 0.5, side: "above", inclusive: false }),
        `unit ${u.unit} of ${u.layer} as a ${u.concept} detector: balanced accuracy ` +
          `${(100 * ci.estimate).toFixed(1)}% (95% CI ${(100 * ci.lo).toFixed(1)}% to ${
            (100 * ci.hi).toFixed(1)
          }%) against 50% for chance.`,
        preconditions,
        "the balanced accuracy's 95% interval does not lie above 0.5 (chance)",
      ),
      figures: [await strip(t)],
    };
  },
};
