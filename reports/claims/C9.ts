/**
 * C9: a GAN unit predicts whether the generated image will contain its concept.
 * Rule (fixed before any run): on the test half of the generated samples,
 * holds when the 95% bootstrap interval of (the unit's accuracy minus the
 * accuracy of always guessing the more common outcome) lies above 0; does not
 * hold when it lies below 0; inconclusive otherwise.
 */
import { type ClaimMeasure, InsufficientData, type Measured } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { peakStrip } from "./unit_detector.ts";

const PEAKS = "gan_unit_classifier__peaks";
const UNIT = "gan_unit_classifier__unit";

export const C9: ClaimMeasure = {
  id: "C9",
  needs: ["gan-unit-classifier"],
  rule: "on the test half of generated samples: holds when the 95% bootstrap interval of the " +
    "unit's accuracy minus the always-guess-the-majority accuracy lies above 0; does not hold when " +
    "below 0; inconclusive otherwise",
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
    const stats = (w: Uint32Array) => {
      let all = 0, ok = 0, pos = 0;
      rows.forEach((r, i) => {
        all += w[i];
        if (r.present === r.fired) ok += w[i];
        if (r.present) pos += w[i];
      });
      return { acc: ok / all, majority: Math.max(pos, all - pos) / all };
    };
    const acc = bootstrap(rows.length, (w) => stats(w).acc, { resamples: 1000, seed: 1 });
    const gain = bootstrap(rows.length, (w) => stats(w).acc - stats(w).majority, {
      resamples: 1000,
      seed: 1,
    });
    const method =
      `over ${rows.length} test samples; 95% percentile bootstrap, 1000 resamples, seed 1`;
    const m = (label: string, ci: { estimate: number; lo: number; hi: number }): Measured => ({
      label,
      value: ci.estimate,
      ci: [ci.lo, ci.hi],
      ciMethod: method,
      sql,
      tables: q.tablesIn(sql),
    });
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
        m(`accuracy predicting ${u.concept} > ${100 * u.min_fraction}% of the image`, acc),
        m("accuracy minus always guessing the majority", gain),
      ],
      verdict: {
        outcome: gain.lo > 0 ? "holds" : gain.hi < 0 ? "fails" : "inconclusive",
        detail:
          `accuracy ${(100 * acc.estimate).toFixed(1)}%, ${
            (100 * gain.estimate).toFixed(1)
          } points ` +
          `over the majority guess (95% CI ${(100 * gain.lo).toFixed(1)} to ${
            (100 * gain.hi).toFixed(1)
          }).`,
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
