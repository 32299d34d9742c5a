/**
 * C2: object detectors peak at the last conv layer; parts peak earlier.
 * Rule (fixed before any run): per layer, count the distinct object concepts
 * and distinct part concepts matched by units with IoU >= 0.04. Holds when the
 * last layer has the most object concepts (ties count for it) and the layer
 * with the most part concepts comes before the layer with the most object
 * concepts (earliest maxima), and the trained network's last layer matches
 * more object concepts than its random-weight control's (a permutation test,
 * control.ts); does not hold when a comparison fails or the control does
 * better, inconclusive when the control comparison cannot tell. The page says
 * when a deciding count is within one concept of its rival (one unit's label
 * could turn the verdict).
 */
import { type ClaimMeasure, InsufficientData } from "../measure.ts";
import { CATEGORIES, countsSql, IOU_BAR, layerCounts } from "./dissection.ts";
import { argmax } from "../../stats/argmax.ts";
import {
  againstControl,
  CONTROL_RULE,
  controlText,
  distinctConcepts,
  type UnitLabel,
  unitLabelsSql,
  withControl,
} from "./control.ts";

/** The measure of claim C2 (rule above). */
export const C2: ClaimMeasure = {
  id: "C2",
  thresholds: "val",
  needs: ["activations-val", "iou-val", "iou-val-control"],
  rule: `per layer, distinct concepts matched by units with IoU >= ${IOU_BAR}: holds when the ` +
    "last conv layer has the most object concepts (ties included) and the (earliest) layer with " +
    "the most part concepts comes before the (earliest) layer with the most object concepts, " +
    `${CONTROL_RULE} in object concepts at the last layer`,
  async measure(q) {
    const counts = await layerCounts(q, "val");
    const layers = [...new Set(counts.map((c) => c.layer))];
    if (layers.length < 2) {
      throw new InsufficientData("a comparison across layers needs at least two layers");
    }
    const of = (cat: string) =>
      layers.map((l) => counts.find((c) => c.layer === l && c.category === cat)!.concepts);
    const objects = of("object"), parts = of("part");
    const lastHasMost = objects[objects.length - 1] === Math.max(...objects);
    const partsEarlier = argmax(parts) < argmax(objects);
    // The deciding comparisons and their margins, in concepts.
    const lastMargin = objects[objects.length - 1] - Math.max(...objects.slice(0, -1));
    const early = parts.slice(0, argmax(objects)), late = parts.slice(argmax(objects));
    const close = [
      Math.abs(lastMargin) <= 1
        ? `the last layer's object concepts (${objects.at(-1)}) against the most at an ` +
          `earlier layer (${Math.max(...objects.slice(0, -1))})`
        : "",
      early.length && Math.abs(Math.max(...early) - Math.max(...late)) <= 1
        ? `the most part concepts before the object peak (${Math.max(...early)}) against the ` +
          `most from it on (${Math.max(...late)})`
        : "",
    ].filter(Boolean);
    const control = await againstControl<UnitLabel>(q, {
      label: `object concepts at ${layers.at(-1)} (units with IoU >= ${IOU_BAR})`,
      trainedSql: unitLabelsSql("iou_val__unit_labels", layers.at(-1)!),
      controlSql: unitLabelsSql("iou_val_control__unit_labels", layers.at(-1)!),
      stat: (rows) => distinctConcepts(rows, undefined, ["object"]),
      computedBy: "distinctConcepts (reports/claims/control.ts)",
    });
    const rule = lastHasMost && partsEarlier ? "holds" : "fails";
    const outcome = withControl(rule, control.outcome);
    const sql = countsSql("val");
    const value = (label: string, layer: string, cat: string) =>
      q.value(
        label,
        `SELECT concepts AS value FROM (${sql}) WHERE layer = '${layer}' AND category = '${cat}'`,
      );
    const values = [
      await value(
        `object concepts at ${layers[argmax(objects)]} (the most)`,
        layers[argmax(objects)],
        "object",
      ),
      await value(`object concepts at ${layers.at(-1)} (last layer)`, layers.at(-1)!, "object"),
      await value(
        `part concepts at ${layers[argmax(parts)]} (the most)`,
        layers[argmax(parts)],
        "part",
      ),
      control.control,
      control.difference,
    ];
    return {
      values,
      margin: close.length
        ? `the verdict rests on a margin of at most one concept: ${close.join("; ")}`
        : undefined,
      verdict: {
        outcome,
        detail: `objects peak at ${layers[argmax(objects)]} (${Math.max(...objects)}), ` +
          `parts at ${layers[argmax(parts)]} (${Math.max(...parts)}); ` +
          `last layer has the most objects: ${lastHasMost}; parts peak earlier: ${partsEarlier}; ` +
          `object concepts at the last layer: ${controlText(control.difference)}.`,
        why: rule === "holds" && outcome !== "holds"
          ? `no more object concepts than the random-weight control: ${
            controlText(control.difference)
          }`
          : rule === "holds"
          ? undefined
          : [
            lastHasMost
              ? ""
              : `object concepts peak at ${layers[argmax(objects)]}, not the last layer`,
            partsEarlier ? "" : "part concepts do not peak before object concepts",
          ].filter(Boolean).join("; "),
      },
      figures: [{
        kind: "lines",
        title: `Distinct concepts matched per layer (IoU >= ${IOU_BAR})`,
        xLabel: "layer",
        yLabel: "distinct concepts",
        x: layers.map((_, i) => i),
        xNames: layers,
        series: CATEGORIES.map((cat) => ({ label: cat, values: of(cat) })),
      }],
    };
  },
};
