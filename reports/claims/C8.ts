/**
 * C8: in a GAN, concept units appear most in the middle layers, not at the output.
 * Rule (fixed before any run): per generator layer, count the units whose best
 * concept (object or part) has IoU >= 0.04. Holds when the layer with the most
 * such units lies in the middle half of the layers (position p of L, counted
 * from 1: L/4 < p <= 3L/4), and at that layer the trained generator has a
 * larger share of such units than its random-weight control (a permutation
 * test, control.ts); does not hold when the peak is elsewhere or the control
 * does better, inconclusive when the control comparison cannot tell.
 */
import { type ClaimMeasure, InsufficientData } from "../measure.ts";
import { CATEGORIES, countsSql, IOU_BAR, layerCounts, unitImages } from "./dissection.ts";
import { argmax } from "../../stats/argmax.ts";
import {
  againstControl,
  CONTROL_RULE,
  controlText,
  detectorShare,
  type UnitLabel,
  unitLabelsSql,
  withControl,
} from "./control.ts";

/** The measure of claim C8 (rule above). */
export const C8: ClaimMeasure = {
  id: "C8",
  thresholds: "gan",
  needs: ["activations-gan", "iou-gan", "iou-gan-control"],
  rule: `per generator layer, units whose best object or part concept has IoU >= ${IOU_BAR}: ` +
    "holds when the layer with the most such units is in the middle half of the layers " +
    `(position p of L from 1, L/4 < p <= 3L/4), ${CONTROL_RULE} in the share of such units at ` +
    "that layer (the control's share at the same layer)",
  async measure(q, ctx) {
    const counts = await layerCounts(q, "gan");
    const layers = [...new Set(counts.map((c) => c.layer))];
    if (layers.length < 3) throw new InsufficientData("middle layers need at least three layers");
    const units = (cat: string) =>
      layers.map((l) => counts.find((c) => c.layer === l && c.category === cat)!.units);
    const objParts = layers.map((_, i) => units("object")[i] + units("part")[i]);
    const best = argmax(objParts);
    const L = layers.length, p = best + 1;
    const middle = L / 4 < p && p <= (3 * L) / 4;
    const control = await againstControl<UnitLabel>(q, {
      label: `share of ${layers[best]}'s units with an object or part label (IoU >= ${IOU_BAR})`,
      trainedSql: unitLabelsSql("iou_gan__unit_labels", layers[best]),
      controlSql: unitLabelsSql("iou_gan_control__unit_labels", layers[best]),
      stat: (rows) => detectorShare(rows),
      computedBy: "detectorShare (reports/claims/control.ts)",
    });
    const outcome = withControl(middle ? "holds" : "fails", control.outcome);
    const values = [
      await q.value(
        `object and part units at ${layers[best]} (the most)`,
        `SELECT sum(units) AS value FROM (${countsSql("gan")})
         WHERE layer = '${layers[best]}' AND category IN ('object', 'part')`,
      ),
      await q.value(
        `object and part units at ${layers.at(-1)} (output side)`,
        `SELECT sum(units) AS value FROM (${countsSql("gan")})
         WHERE layer = '${layers.at(-1)}' AND category IN ('object', 'part')`,
      ),
      control.trained,
      control.control,
      control.difference,
    ];
    const top = await q.rows<
      { layer: string; unit: number; name: string; category: string; iou: number }
    >(
      `SELECT layer, unit, name, category, iou FROM iou_gan__unit_labels
       WHERE iou >= ${IOU_BAR} AND category IN ('object', 'part') ORDER BY iou DESC LIMIT 12`,
    );
    return {
      values,
      verdict: {
        outcome,
        detail: `most object/part units at ${layers[best]} (position ${p} of ${L}); their ` +
          `share there: ${controlText(control.difference)}.`,
        why: middle && outcome !== "holds"
          ? `no larger share than the random-weight control: ${controlText(control.difference)}`
          : middle
          ? undefined
          : `the most object and part units are at position ${p} of ${L}, outside the middle half`,
      },
      figures: [{
        kind: "lines",
        title: `Generator units by category of their best concept (IoU >= ${IOU_BAR})`,
        xLabel: "layer",
        yLabel: "units",
        x: layers.map((_, i) => i),
        xNames: layers,
        series: CATEGORIES.map((cat) => ({ label: cat, values: units(cat) })),
      }],
      extraHtml: `<h2>The best object and part units</h2>${await unitImages(ctx, "iou-gan", top)}`,
    };
  },
};
