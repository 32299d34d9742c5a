/**
 * C10: removing tree units removes trees and leaves the rest of the scene intact.
 * Rule (fixed before any run): with the top k tree units of the layer removed
 * (k: the paper's 20 of 512 units scaled to the layer, scaled_units.ts; or the
 * run's largest step below k), two parts:
 * - removal: holds when the 95% bootstrap interval (over samples) of the
 *   relative change of tree pixels lies below -20%; does not hold otherwise;
 * - preservation: holds when every other object class covering at least 1%
 *   of the unedited pixels keeps at least 90% of its pixels; does not hold
 *   otherwise.
 * Precondition: the removed units detect trees (most of them at IoU >= 0.04).
 */
import { type ClaimMeasure, type Measured, precondition } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { artifactImage } from "./images.ts";
import { beyond, fromParts, part } from "../verdict.ts";
import { IOU_BAR } from "./dissection.ts";
import { PAPER_LAYER_WIDTH, scaledUnits } from "../../dissection/scaled_units.ts";

const PIXELS = "tree_removal__pixels";
const UNITS = "tree_removal__units";
/** The paper's tree units removed, of layer4's 512. */
const PAPER_K = 20;
/** The bar on the relative change of tree pixels. */
const TREE_CHANGE = -0.2;
/** The least share of its pixels any other object must keep. */
const KEEP = 0.9;

/** Objects below this share of the unedited pixels are neither judged nor charted. */
const MIN_SHARE = 0.01;

/**
 * The relative change of a pixel count summed over samples, each sample
 * counted w[i] times: sum(after) / sum(before) - 1 (undefined with no pixels before).
 */
export function relativeChange(
  before: ArrayLike<number>,
  after: ArrayLike<number>,
  w: Uint32Array,
): number {
  let b = 0, a = 0;
  for (let i = 0; i < before.length; i++) {
    b += w[i] * before[i];
    a += w[i] * after[i];
  }
  return b > 0 ? a / b - 1 : NaN;
}

/** SQL: every other object's share of the unedited pixels and the fraction it keeps with k removed. */
function othersSql(k: number): string {
  return `WITH t AS (SELECT object, n, sum(pixels) AS px FROM ${PIXELS} WHERE n IN (0, ${k}) GROUP BY ALL),
       total AS (SELECT sum(px) AS all_px FROM t WHERE n = 0)
       SELECT b.object, b.px / total.all_px AS share, coalesce(a.px, 0) / b.px AS kept
       FROM t b CROSS JOIN total LEFT JOIN t a ON a.object = b.object AND a.n = ${k}
       WHERE b.n = 0 AND b.object <> 'tree'`;
}

export const C10: ClaimMeasure = {
  id: "C10",
  thresholds: "gan",
  needs: ["tree-removal", "activations-gan"],
  rule: `with the top k tree units removed (the paper's ${PAPER_K} of ${PAPER_LAYER_WIDTH} ` +
    "scaled to the layer): removal holds when the 95% interval of the relative change of tree " +
    `pixels lies below ${100 * TREE_CHANGE}%; preservation holds when every other object class ` +
    `covering >= ${100 * MIN_SHARE}% of the unedited pixels keeps >= ${
      100 * KEEP
    }% of its pixels. ` +
    "Needs the removed units to detect trees",
  async measure(q, ctx) {
    const layer = String(
      (ctx.inputs["tree-removal"].manifest.keyParts.params as { layer?: string }).layer,
    );
    const widthSql = `SELECT units AS value FROM activations_gan__layers WHERE layer = '${layer}'`;
    const width = await q.value(`units of ${layer}`, widthSql);
    const scaled = scaledUnits(PAPER_K, Number(width.value));
    const [{ k }] = await q.rows<{ k: number }>(
      `SELECT max(n) AS k FROM ${PIXELS} WHERE n <= ${scaled}`,
    );
    const sql =
      `SELECT image, n, pixels FROM ${PIXELS} WHERE object = 'tree' AND n IN (0, ${k}) ORDER BY image`;
    const rows = await q.rows<{ image: number; n: number; pixels: number }>(sql);
    const [{ images }] = await q.rows<{ images: number }>(
      `SELECT count(DISTINCT image) AS images FROM ${PIXELS}`,
    );
    const before = new Float64Array(images), after = new Float64Array(images);
    for (const r of rows) (r.n === 0 ? before : after)[r.image] += r.pixels;
    const ci = bootstrap(images, (w) => relativeChange(before, after, w), {
      resamples: 1000,
      seed: 1,
    });
    const others = await q.rows<{ object: string; share: number; kept: number }>(
      `${othersSql(k)} ORDER BY share DESC`,
    );
    const big = others.filter((o) => o.share >= MIN_SHARE);
    const worst = big.reduce((m, o) => (o.kept < m.kept ? o : m), {
      object: "(none)",
      share: 0,
      kept: 1,
    });
    const curve = await q.rows<{ n: number; px: number }>(
      `SELECT n, sum(pixels) AS px FROM ${PIXELS} WHERE object = 'tree' GROUP BY n ORDER BY n`,
    );
    const tree: Measured = {
      label: `relative change of tree pixels, top ${k} tree units removed`,
      value: ci.estimate,
      ci: [ci.lo, ci.hi],
      ciMethod:
        `over ${images} samples; 95% percentile bootstrap over samples, 1000 resamples, seed 1`,
      computedBy: "relativeChange (reports/claims/C10.ts)",
      sql,
      tables: q.tablesIn(sql),
    };
    const leastKept = await q.value(
      `least kept other object (>= ${100 * MIN_SHARE}% of pixels): ${worst.object}, ` +
        "fraction of its pixels kept",
      `SELECT coalesce(min(kept), 1) AS value FROM (${othersSql(k)}) WHERE share >= ${MIN_SHARE}`,
    );
    const detectors = await precondition(q, {
      need: `removed units that detect trees (IoU >= ${IOU_BAR})`,
      paper: "the paper ranks layer4's units by IoU with tree \"to identify the most " +
        'tree-specific units" of a 512-unit layer, and removing 20 of them removes 53.3% of the ' +
        "tree pixels: they are tree detectors",
      bar: "more than half of the removed units",
      sql: `SELECT avg((iou >= ${IOU_BAR})::INT) AS value FROM ${UNITS} WHERE rank < ${k}`,
      test: (v) => v > 0.5,
    });
    const removal = part(
      "removal",
      beyond(ci, { bar: TREE_CHANGE, side: "below", inclusive: false }) ? "holds" : "fails",
      `tree pixels ${(100 * ci.estimate).toFixed(1)}% (95% CI ${(100 * ci.lo).toFixed(1)}% to ` +
        `${(100 * ci.hi).toFixed(1)}%)`,
    );
    const preservation = part(
      "preservation",
      Number(leastKept.value) >= KEEP ? "holds" : "fails",
      `the other objects keep at least ${(100 * Number(leastKept.value)).toFixed(1)}% ` +
        `(${worst.object})`,
    );
    return {
      values: [tree, leastKept, width],
      preconditions: [detectors],
      parts: [removal, preservation],
      verdict: {
        ...fromParts([removal, preservation], "", [detectors]),
        detail: `top ${k} of ${width.value} tree units removed (paper: ${PAPER_K} of ` +
          `${PAPER_LAYER_WIDTH}): ${removal.detail}; ${preservation.detail}.`,
      },
      figures: [{
        kind: "lines",
        title: "Tree pixels in the generated images as tree units are removed",
        xLabel: "tree units removed",
        yLabel: "fraction of the unedited tree pixels",
        x: curve.map((c) => c.n),
        series: [{ label: "tree pixels", values: curve.map((c) => c.px / curve[0].px) }],
      }, {
        kind: "bars",
        // The objects the rule judges: a fraction of a handful of pixels says nothing.
        title: `Pixels kept by every other object of at least ${
          100 * MIN_SHARE
        }% of the unedited pixels, with the top ${k} tree units removed`,
        xLabel: "object",
        yLabel: "fraction kept",
        x: big.map((_, i) => i),
        xNames: big.map((o) => o.object),
        series: [{ label: "kept", values: big.map((o) => o.kept) }],
      }],
      extraHtml: await artifactImage(
        ctx,
        "tree-removal",
        "examples.png",
        `Top: generated images with trees; bottom: the same latents with the top tree units of the layer removed`,
      ),
    };
  },
};
