/**
 * C3: one unit, thresholded on its peak activation, is a good detector of an
 * object class on held-out data it never trained on.
 * Rule (fixed before any run): holds when the lower end of the 95% bootstrap
 * interval of the unit's balanced accuracy on the test half of the
 * object-centric images is at least 0.70; does not hold when the upper end
 * is below 0.70; inconclusive otherwise.
 */
import { type ClaimMeasure, InsufficientData } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { detectionAccuracy, peakStrip, requireBothOutcomes } from "./unit_detector.ts";

const PEAKS = "unit_classifier__peaks";
const UNIT = "unit_classifier__unit";

/** The measure of claim C3 (rule above). */
export const C3: ClaimMeasure = {
  id: "C3",
  thresholds: "val",
  needs: ["unit-classifier"],
  rule:
    "holds when the lower end of the 95% bootstrap interval of the unit's balanced accuracy on " +
    "the held-out half of the object-centric images is >= 0.70; does not hold when the upper end is " +
    "below 0.70; inconclusive otherwise",
  async measure(q) {
    const [u] = await q.rows<
      { layer: string; unit: number; concept: string; iou: number; threshold: number }
    >(
      `SELECT * FROM ${UNIT}`,
    );
    if (u.threshold === null) {
      throw new InsufficientData(
        `the fitting half has images only with or only without ${u.concept}: no threshold`,
      );
    }
    const testSql = `SELECT p.present, p.peak > u.threshold AS fired FROM ${PEAKS} p, ${UNIT} u
      WHERE p.half = 'test' ORDER BY p.image`;
    const rows = await q.rows<{ present: boolean; fired: boolean }>(testSql);
    requireBothOutcomes(rows, u.concept, "images");
    const ci = bootstrap(rows.length, (w) => detectionAccuracy(rows, w), {
      resamples: 1000,
      seed: 1,
    });
    const values = [
      await q.value(
        `${u.layer} unit ${u.unit}: IoU with ${u.concept} (val dissection)`,
        `SELECT iou AS value FROM ${UNIT}`,
      ),
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
      verdict: {
        outcome: ci.lo >= 0.7 ? "holds" : ci.hi < 0.7 ? "fails" : "inconclusive",
        detail: `unit ${u.unit} of ${u.layer} as a ${u.concept} detector: balanced accuracy ` +
          `${(100 * ci.estimate).toFixed(1)}% (95% CI ${(100 * ci.lo).toFixed(1)}% to ${
            (100 * ci.hi).toFixed(1)
          }%).`,
      },
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
