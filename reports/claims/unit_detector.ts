/**
 * Shared by the claims that use one unit as a detector (C3 on the classifier,
 * C9 on the generator): the test half's peak activations as a strip plot.
 */
import { InsufficientData, precondition, type ReportQuery } from "../measure.ts";
import type { Precondition } from "../verdict.ts";
import type { Figure } from "../figures.ts";
import { balancedAccuracy } from "../../dissection/ablation.ts";

/** A test image: whether it shows the concept, and whether the unit fired (peak above threshold). */
export interface Detection {
  present: boolean;
  fired: boolean;
}

/**
 * Balanced accuracy of the detections, each counted w[i] times (a bootstrap
 * resample's weights): the mean of the hit rates with and without the concept,
 * so 0.5 is chance however unbalanced the images are.
 */
export function detectionAccuracy(rows: Detection[], w: Uint32Array): number {
  let pos = 0, tp = 0, all = 0, fp = 0;
  rows.forEach((r, i) => {
    all += w[i];
    if (r.present) {
      pos += w[i];
      if (r.fired) tp += w[i];
    } else if (r.fired) fp += w[i];
  });
  return balancedAccuracy(tp, fp, pos, all);
}

/** Balanced accuracy needs test images both with and without the concept. */
export function requireBothOutcomes(rows: Detection[], concept: string, images: string): void {
  const positives = rows.filter((r) => r.present).length;
  if (positives === 0 || positives === rows.length) {
    throw new InsufficientData(
      `the test half has ${
        positives ? "only" : "no"
      } ${images} with ${concept}: no balanced accuracy`,
    );
  }
}

/**
 * Peaks of the test half, absent at x = 0 and present at x = 1, each moved by
 * a small offset fixed by its image so that the points do not pile up; the
 * threshold drawn across.
 */
export async function peakStrip(
  q: ReportQuery,
  peaksTable: string,
  o: { concept: string; threshold: number | null; title: string },
): Promise<Figure> {
  const peaks = await q.rows<{ present: boolean; peak: number; image: number }>(
    `SELECT present, peak, image FROM ${peaksTable} WHERE half = 'test' ORDER BY image`,
  );
  const jitter = (i: number) => ((i * 2654435761) % 1000) / 1000 * 0.5 - 0.25;
  return {
    kind: "points",
    title: o.title,
    xLabel: `${o.concept} present (0 = no, 1 = yes), jittered`,
    yLabel: "peak activation",
    x: peaks.map((p) => (p.present ? 1 : 0) + jitter(p.image)),
    series: [
      { label: "peak activation", values: peaks.map((p) => p.peak) },
      ...(o.threshold === null
        ? []
        : [{ label: "threshold", values: peaks.map(() => o.threshold), line: true }]),
    ],
  };
}

/** Test images needed on each side (with and without the concept) for a test of a unit as a detector. */
export const MIN_EACH_SIDE = 20;

/**
 * The preconditions of a detector test: at least MIN_EACH_SIDE test images
 * with the concept and as many without. `paper` says how many the paper had.
 */
export async function bothSides(
  q: ReportQuery,
  peaksTable: string,
  o: { what: string; paper: string },
): Promise<Precondition[]> {
  const side = (present: boolean) =>
    precondition(q, {
      need: `test ${o.what} ${present ? "with" : "without"} the concept`,
      paper: o.paper,
      bar: `at least ${MIN_EACH_SIDE}`,
      sql: `SELECT count(*) AS value FROM ${peaksTable} WHERE half = 'test' AND ${
        present ? "" : "NOT "
      }present`,
      test: (v) => v >= MIN_EACH_SIDE,
      // The interval reflects the images it has: the count matters when it does not decide.
      kind: "data",
    });
  return [await side(true), await side(false)];
}
