/**
 * C3: one unit, thresholded on its peak activation, is a good detector of an
 * object class on held-out data it never trained on.
 * Rule (fixed before any run): holds when the lower end of the 95% bootstrap
 * interval of the unit's balanced accuracy on the test half of the
 * object-centric images is at least 0.70; does not hold when the upper end
 * is below 0.70; inconclusive otherwise.
 * Preconditions: the unit detects the concept in the dissection (IoU >= 0.04),
 * and the test half has at least 20 images with the concept and 20 without.
 */
import { type ClaimMeasure, InsufficientData, precondition } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { bothSides, detectionAccuracy, peakStrip, requireBothOutcomes } from "./unit_detector.ts";
import { intervalOutcome, settle } from "../verdict.ts";
import { IOU_BAR } from "./dissection.ts";

const PEAKS = "unit_classifier__peaks";
const UNIT = "unit_classifier__unit";
/** A good detector: the balanced accuracy's interval lies at or above 0.70. */
const GOOD = { bar: 0.7, side: "above", inclusive: true } as const;

/** The measure of claim C3 (rule above). */
export const C3: ClaimMeasure = {
  id: "C3",
  thresholds: "val",
  needs: ["unit-classifier"],
  rule:
    "holds when the lower end of the 95% bootstrap interval of the unit's balanced accuracy on " +
    `the held-out half of the object-centric images is >= ${GOOD.bar}; does not hold when the ` +
    `upper end is below ${GOOD.bar}; inconclusive otherwise. Needs a unit that detects the ` +
    "concept and test images with and without it",
  async measure(q) {
    const [u] = await q.rows<
      { layer: string; unit: number; concept: string; iou: number; threshold: number | null }
    >(
      `SELECT * FROM ${UNIT}`,
    );
    const preconditions = [
      await precondition(q, {
        need: `the unit's IoU with ${u.concept} in the dissection`,
        paper: 'unit 150 "emerges as a detector that locates airplanes, scoring IoU=9.0% ' +
          'agreement with our reference airplane segmentations", above the 4% bar below which ' +
          "the paper does not count a unit as a detector (Fig. 1d)",
        bar: `at least ${IOU_BAR}`,
        sql: `SELECT iou AS value FROM ${UNIT}`,
        test: (v) => v >= IOU_BAR,
      }),
      ...await bothSides(q, PEAKS, {
        what: "images",
        paper: "the paper tests unit 150 on 1,000 airplane and 1,000 non-airplane ImageNet " +
          "images (Fig. 1f)",
      }),
    ];
    const iou = await q.value(
      `${u.layer} unit ${u.unit}: IoU with ${u.concept} (val dissection)`,
      `SELECT iou AS value FROM ${UNIT}`,
    );
    const testable = preconditions.every((p) => p.met);
    if (u.threshold === null) {
      const detail = `the fitting half has images only with or only without ${u.concept}: ` +
        "no threshold";
      if (testable) throw new InsufficientData(detail);
      return {
        values: [iou],
        preconditions,
        verdict: settle("inconclusive", `${detail}.`, preconditions),
        figures: [
          await peakStrip(q, PEAKS, {
            concept: u.concept,
            threshold: null,
            title: `Peak activation of unit ${u.unit} on test images without (left) and with ` +
              `(right) ${u.concept} (no threshold could be fitted)`,
          }),
        ],
      };
    }
    const testSql = `SELECT p.present, p.peak > u.threshold AS fired FROM ${PEAKS} p, ${UNIT} u
      WHERE p.half = 'test' ORDER BY p.image`;
    const rows = await q.rows<{ present: boolean; fired: boolean }>(testSql);
    // Measured whenever both sides have an image, testable or not: the numbers stay on the page.
    const bothPresent = new Set(rows.map((r) => r.present)).size === 2;
    if (testable) requireBothOutcomes(rows, u.concept, "images");
    const ci = bothPresent
      ? bootstrap(rows.length, (w) => detectionAccuracy(rows, w), { resamples: 1000, seed: 1 })
      : { estimate: NaN, lo: NaN, hi: NaN };
    const values = [
      iou,
      await q.value(
        "threshold on peak activation (fit half)",
        `SELECT threshold AS value FROM ${UNIT}`,
      ),
      {
        label: "balanced accuracy on the test half",
        value: ci.estimate,
        ci: [ci.lo, ci.hi] as [number, number],
        ciMethod:
          `over ${rows.length} test images; 95% percentile bootstrap over images, 1000 resamples, seed 1`,
        computedBy: "detectionAccuracy (reports/claims/unit_detector.ts)",
        sql: testSql,
        tables: q.tablesIn(testSql),
      },
      await q.value(
        `test images with ${u.concept}`,
        `SELECT count(*) AS value FROM ${PEAKS} WHERE half = 'test' AND present`,
      ),
    ];
    const t = u.threshold;
    return {
      values,
      preconditions,
      verdict: settle(
        intervalOutcome(ci, GOOD),
        `unit ${u.unit} of ${u.layer} as a ${u.concept} detector: balanced accuracy ` +
          `${(100 * ci.estimate).toFixed(1)}% (95% CI ${(100 * ci.lo).toFixed(1)}% to ${
            (100 * ci.hi).toFixed(1)
          }%).`,
        preconditions,
        `the balanced accuracy's 95% interval (${(100 * ci.lo).toFixed(1)}% to ` +
          `${(100 * ci.hi).toFixed(1)}%) does not lie at or above ${100 * GOOD.bar}%`,
      ),
      figures: [
        await peakStrip(q, PEAKS, {
          concept: u.concept,
          threshold: t,
          title:
            `Peak activation of unit ${u.unit} on test images without (left) and with (right) ${u.concept}; threshold ${
              t.toFixed(3)
            }`,
        }),
      ],
    };
  },
};
