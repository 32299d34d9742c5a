/**
 * C10: removing tree units removes trees and leaves the rest of the scene intact.
 * Rule (fixed before any run): with the top 20 tree units of the layer
 * removed (or, if the run has no step of 20, its largest step below 20),
 * holds when the 95% bootstrap interval (over samples) of the relative change
 * of tree pixels lies below -20%, and every other object class covering at
 * least 1% of the unedited pixels keeps at least 90% of its pixels; does not
 * hold otherwise.
 */
import type { ClaimMeasure, Measured } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { artifactImage } from "./images.ts";

const PIXELS = "tree_removal__pixels";
const K = 20;

/** The measure of claim C10 (rule above). */

/** Objects below this share of the unedited pixels are neither judged nor charted. */
const MIN_SHARE = 0.01;

export const C10: ClaimMeasure = {
  id: "C10",
  thresholds: "gan",
  needs: ["tree-removal"],
  rule:
    `with the top ${K} tree units removed: holds when the 95% interval of the relative change ` +
    "of tree pixels lies below -20% and every other object class covering >= 1% of the unedited " +
    "pixels keeps >= 90% of its pixels",
  async measure(q, ctx) {
    const [{ k }] = await q.rows<{ k: number }>(
      `SELECT max(n) AS k FROM ${PIXELS} WHERE n <= ${K}`,
    );
    const sql =
      `SELECT image, n, pixels FROM ${PIXELS} WHERE object = 'tree' AND n IN (0, ${k}) ORDER BY image`;
    const rows = await q.rows<{ image: number; n: number; pixels: number }>(sql);
    const [{ images }] = await q.rows<{ images: number }>(
      `SELECT count(DISTINCT image) AS images FROM ${PIXELS}`,
    );
    const before = new Float64Array(images), after = new Float64Array(images);
    for (const r of rows) (r.n === 0 ? before : after)[r.image] += r.pixels;
    const rel = (w: Uint32Array) => {
      let b = 0, a = 0;
      for (let i = 0; i < images; i++) {
        b += w[i] * before[i];
        a += w[i] * after[i];
      }
      return b > 0 ? a / b - 1 : NaN;
    };
    const ci = bootstrap(images, rel, { resamples: 1000, seed: 1 });
    const others = await q.rows<{ object: string; share: number; kept: number }>(
      `WITH t AS (SELECT object, n, sum(pixels) AS px FROM ${PIXELS} WHERE n IN (0, ${k}) GROUP BY ALL),
       total AS (SELECT sum(px) AS all_px FROM t WHERE n = 0)
       SELECT b.object, b.px / total.all_px AS share, coalesce(a.px, 0) / b.px AS kept
       FROM t b CROSS JOIN total LEFT JOIN t a ON a.object = b.object AND a.n = ${k}
       WHERE b.n = 0 AND b.object <> 'tree' ORDER BY share DESC`,
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
      sql,
      tables: q.tablesIn(sql),
    };
    const holds = ci.hi < -0.2 && worst.kept >= 0.9;
    return {
      values: [
        tree,
        await q.value(
          `least kept other object (>= ${100 * MIN_SHARE}% of pixels): ${worst.object}, ` +
            "fraction of its pixels kept",
          `SELECT ${worst.kept} AS value`,
        ),
      ],
      verdict: {
        outcome: holds ? "holds" : "fails",
        detail:
          `tree pixels ${(100 * ci.estimate).toFixed(1)}% (95% CI ${
            (100 * ci.lo).toFixed(1)
          }% to ` +
          `${(100 * ci.hi).toFixed(1)}%); the other objects keep at least ${
            (100 * worst.kept).toFixed(1)
          }% ` +
          `(${worst.object}).`,
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
