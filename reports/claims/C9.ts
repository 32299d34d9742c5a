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
 */
import { type ClaimMeasure, InsufficientData, type Measured } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { detectionAccuracy, peakStrip, requireBothOutcomes } from "./unit_detector.ts";

const PEAKS = "gan_unit_classifier__peaks";
const UNIT = "gan_unit_classifier__unit";

/** The measure of claim C9 (rule above). */
export const C9: ClaimMeasure = {
  id: "C9",
  thresholds: "gan",
  needs: ["gan-unit-classifier"],
  rule: "on the test half of generated samples: holds when the 95% bootstrap interval of the " +
    "unit's balanced accuracy lies above 0.5 (chance); does not hold when it lies below 0.5; " +
    "inconclusive otherwise",
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
    if (u.threshold === null) {
      throw new InsufficientData(
        `the fitting half has samples only with or only without ${u.concept}: no threshold`,
      );
    }
    const t = u.threshold;
    const sql = `SELECT p.present, p.peak > u.threshold AS fired FROM ${PEAKS} p, ${UNIT} u
      WHERE p.half = 'test' ORDER BY p.image`;
    const rows = await q.rows<{ present: boolean; fired: boolean }>(sql);
    requireBothOutcomes(rows, `${u.concept} over ${100 * u.min_fraction}% of the image`, "samples");
    const ci = bootstrap(rows.length, (w) => detectionAccuracy(rows, w), {
      resamples: 1000,
      seed: 1,
    });
    const accuracy: Measured = {
      label: `balanced accuracy predicting ${u.concept} > ${100 * u.min_fraction}% of the image`,
      value: ci.estimate,
      ci: [ci.lo, ci.hi],
      ciMethod:
        `over ${rows.length} test samples; 95% percentile bootstrap over samples, 1000 resamples, seed 1`,
      sql,
      tables: q.tablesIn(sql),
    };
    return {
      values: [
        await q.value(
          `${u.layer} unit ${u.unit}: IoU with ${u.concept}`,
          `SELECT iou AS value FROM ${UNIT}`,
        ),
        await q.value(
          "threshold on peak activation (fit half)",
          `SELECT threshold AS value FROM ${UNIT}`,
        ),
        accuracy,
        await q.value(
          `test samples with ${u.concept} > ${100 * u.min_fraction}% of the image`,
          `SELECT count(*) AS value FROM ${PEAKS} WHERE half = 'test' AND present`,
        ),
      ],
      verdict: {
        outcome: ci.lo > 0.5 ? "holds" : ci.hi < 0.5 ? "fails" : "inconclusive",
        detail: `unit ${u.unit} of ${u.layer} as a ${u.concept} detector: balanced accuracy ` +
          `${(100 * ci.estimate).toFixed(1)}% (95% CI ${(100 * ci.lo).toFixed(1)}% to ${
            (100 * ci.hi).toFixed(1)
          }%) against 50% for chance.`,
      },
      figures: [
        await peakStrip(q, PEAKS, {
          concept: u.concept,
          threshold: t,
          title:
            `Peak activation of unit ${u.unit}: samples without (left) and with (right) ${u.concept} over ` +
            `${100 * u.min_fraction}% of the image; threshold ${t.toFixed(3)}`,
        }),
      ],
    };
  },
};
