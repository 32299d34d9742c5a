/**
 * Shared by the claims that use one unit as a detector (C3 on the classifier,
 * C9 on the generator): the test half's peak activations as a strip plot.
 */
import type { ReportQuery } from "../measure.ts";
import type { Figure } from "../figures.ts";

/**
 * Peaks of the test half, absent at x = 0 and present at x = 1, each moved by
 * a small offset fixed by its image so that the points do not pile up; the
 * threshold drawn across.
 */
export async function peakStrip(
  q: ReportQuery,
  peaksTable: string,
  o: { concept: string; threshold: number; title: string },
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
      { label: "threshold", values: peaks.map(() => o.threshold) },
    ],
  };
}
