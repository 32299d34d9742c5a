/**
 * C11: forcing door units on adds doors only where a door makes sense.
 * Rule (fixed before any run): door pixels added by an edit (after minus
 * before) are averaged by the context at the edited location. Holds when the
 * 95% bootstrap interval (over samples) of the mean added on buildings minus
 * the mean added on sky and trees lies above 0; does not hold otherwise.
 * Precondition: the forced units detect doors (most of them at IoU >= 0.04).
 * The units forced are the paper's 20 of 512 scaled to the layer (the
 * door-insertion stage's default).
 */
import { type ClaimMeasure, type Measured, precondition } from "../measure.ts";
import { bootstrap } from "../../stats/bootstrap.ts";
import { artifactImage } from "./images.ts";
import { beyond, settle } from "../verdict.ts";
import { IOU_BAR } from "./dissection.ts";

const INS = "door_insertion__insertions";
const UNITS = "door_insertion__units";

/**
 * Mean door pixels added per edit in some contexts minus in others, each
 * sample's edits counted w[sample] times (`index`: sample to its place in w).
 */
export function contextDifference(
  rows: readonly { image: number; context: string; added: number }[],
  index: ReadonlyMap<number, number>,
  w: Uint32Array,
  these: readonly string[],
  those: readonly string[],
): number {
  const mean = (contexts: readonly string[]) => {
    let s = 0, c = 0;
    for (const r of rows) {
      if (!contexts.includes(r.context)) continue;
      const wi = w[index.get(r.image)!];
      s += wi * r.added;
      c += wi;
    }
    return c ? s / c : NaN;
  };
  return mean(these) - mean(those);
}

/** The measure of claim C11 (rule above). */
export const C11: ClaimMeasure = {
  id: "C11",
  thresholds: "gan",
  needs: ["door-insertion"],
  rule:
    "door pixels added (after minus before), by the context at the edited location: holds when " +
    "the 95% interval of the mean added on buildings minus the mean added on sky and trees lies " +
    "above 0; does not hold otherwise. Needs the forced units to detect doors",
  async measure(q, ctx) {
    const sql =
      `SELECT image, context, after - before AS added FROM ${INS} ORDER BY image, row, col`;
    const rows = await q.rows<{ image: number; context: string; added: number }>(sql);
    const images = [...new Set(rows.map((r) => r.image))];
    const index = new Map(images.map((im, i) => [im, i]));
    const diff = bootstrap(
      images.length,
      (w) => contextDifference(rows, index, w, ["building"], ["sky", "tree"]),
      { resamples: 1000, seed: 1 },
    );
    const byContext = await q.rows<
      { context: string; edits: number; added: number; any_door: number }
    >(
      `SELECT context, count(*) AS edits, avg(after - before) AS added, avg((after > before)::INT) AS any_door
       FROM ${INS} GROUP BY context ORDER BY edits DESC`,
    );
    const d: Measured = {
      label: "mean door pixels added: buildings minus sky and trees",
      value: diff.estimate,
      ci: [diff.lo, diff.hi],
      ciMethod: `over ${images.length} samples x ${rows.length / images.length} locations; ` +
        "95% percentile bootstrap over samples, 1000 resamples, seed 1",
      computedBy: "contextDifference (reports/claims/C11.ts)",
      sql,
      tables: q.tablesIn(sql),
    };
    const perContext = async (c: string) =>
      await q.value(
        `mean door pixels added where the context is ${c}`,
        `SELECT avg(after - before) AS value FROM ${INS} WHERE context = '${c}'`,
      );
    const detectors = await precondition(q, {
      need: `forced units that detect doors (IoU >= ${IOU_BAR})`,
      paper: 'the paper forces on "the 20 most door-specific units identified in layer4" by ' +
        "IoU with door, in a 512-unit layer where doors appear when they are activated (Fig. 4c)",
      bar: "more than half of the forced units",
      sql: `SELECT avg((iou >= ${IOU_BAR})::INT) AS value FROM ${UNITS}`,
      test: (v) => v > 0.5,
    });
    const forced = await q.value("units forced on", `SELECT count(*) AS value FROM ${UNITS}`);
    const overall = await q.value(
      "mean door pixels added per edit, every context",
      `SELECT avg(after - before) AS value FROM ${INS}`,
    );
    return {
      values: [
        d,
        await perContext("building"),
        await perContext("sky"),
        await perContext("tree"),
        overall,
        forced,
      ],
      preconditions: [detectors],
      verdict: settle(
        beyond(diff, { bar: 0, side: "above", inclusive: false }) ? "holds" : "fails",
        `${forced.value} door units forced on add ${Number(overall.value).toFixed(2)} door ` +
          "pixels per edit on average; buildings minus sky and trees: " +
          `${diff.estimate.toFixed(2)} pixels (95% CI ${diff.lo.toFixed(2)} to ` +
          `${diff.hi.toFixed(2)}).`,
        [detectors],
        "doors added on buildings are not above those in sky and trees (95% interval)",
      ),
      figures: [{
        kind: "bars",
        title: "Door pixels added by one edit, by the context at the edited location",
        xLabel: "context (object at the location, unedited)",
        yLabel: "door pixels added",
        x: byContext.map((_, i) => i),
        xNames: byContext.map((c) => `${c.context} (${c.edits})`),
        series: [{ label: "mean added", values: byContext.map((c) => c.added) }],
      }],
      extraHtml: await artifactImage(
        ctx,
        "door-insertion",
        "examples.png",
        "Top: generated images; bottom: the same edit (door units forced on at one location) in each",
      ),
    };
  },
};
