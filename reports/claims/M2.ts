/**
 * M2: the reference segmenter is imperfect but useful.
 * Rule (fixed before any run): holds when, on held-out val against exact
 * ground truth, the mean IoU over object classes is at least 0.20 and the
 * mean IoU over part classes and over material classes are each at least
 * 0.10; does not hold otherwise; inconclusive when the data set has no
 * ground truth to score against. (How imperfect it is is shown, not judged.)
 */
import type { ClaimMeasure } from "../measure.ts";

const SCORES = "segment_val__segmenter_scores";
/** The least mean IoU per category for a useful segmenter (the rule's bars). */
const BARS = { object: 0.2, part: 0.1, material: 0.1 } as const;
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** The measure of claim M2 (rule above). */
export const M2: ClaimMeasure = {
  id: "M2",
  needs: ["segment-val"],
  rule: "holds when the segmenter's mean IoU against ground truth on val is >= " +
    `${BARS.object} over object classes, >= ${BARS.part} over part classes and >= ` +
    `${BARS.material} over material classes; does not hold ` +
    "otherwise; inconclusive without ground truth",
  async measure(q) {
    const mean = (category: string) =>
      q.value(
        `mean IoU, ${category}s`,
        `SELECT avg(iou) AS value FROM ${SCORES} WHERE category = '${category}'`,
      );
    const [objects, parts, materials] = [
      await mean("object"),
      await mean("part"),
      await mean("material"),
    ];
    const perConcept = await q.rows<{ category: string; concept: string; iou: number }>(
      `SELECT category, concept, iou FROM ${SCORES} ORDER BY category, iou DESC`,
    );
    const o = Number(objects.value), p = Number(parts.value), m = Number(materials.value);
    const holds = o >= BARS.object && p >= BARS.part && m >= BARS.material;
    const scored = [objects, parts, materials].every((v) => v.value !== null);
    return {
      values: [objects, parts, materials],
      verdict: scored
        ? {
          outcome: holds ? "holds" : "fails",
          detail: `mean IoU ${(100 * o).toFixed(1)}% objects, ${(100 * p).toFixed(1)}% parts, ` +
            `${(100 * m).toFixed(1)}% materials (bars: ${pct(BARS.object)}, ${pct(BARS.part)}, ${
              pct(BARS.material)
            }).`,
          ...(!holds && { why: "a mean IoU is below its bar" }),
        }
        : {
          outcome: "inconclusive",
          detail:
            "the held-out data set has no ground truth (or other label lists) to score against.",
          why: "no ground truth to score the segmenter against",
        },
      figures: ["object", "part", "material"].map((cat) => {
        const rows = perConcept.filter((r) => r.category === cat);
        return {
          kind: "bars" as const,
          title: `Segmenter IoU per ${cat} class (val, against ground truth)`,
          xLabel: cat,
          yLabel: "IoU",
          x: rows.map((_, i) => i),
          xNames: rows.map((r) => r.concept),
          series: [{ label: "IoU", values: rows.map((r) => r.iou) }],
        };
      }),
    };
  },
};
