/**
 * C13: painting with a concept's units adds the concept where it is painted.
 * Rule (fixed before the measured run; only a 40-sample pilot of the edit on
 * hand-picked concepts preceded it): every concept of the paint page's
 * palette is painted (its top units set to boost x t_u) into one fixed
 * region of each sample. Per concept, the increase of the concept's share of
 * the region's pixels (after minus before, as the segmenter sees them) is
 * averaged over samples; the concept is "painted" when the 95% bootstrap
 * interval (over samples) of that increase lies above 0. Holds when more
 * than half of the palette's concepts are painted; does not hold otherwise.
 * Inconclusive with fewer than 10 samples or an empty palette.
 */
import { type ClaimMeasure, InsufficientData, type Measured } from "../measure.ts";
import { sqlString } from "../../engine/duck.ts";
import { esc } from "../html.ts";
import { artifactImage } from "./images.ts";

const PAINTINGS = "paint_check__paintings";
const PALETTE = "paint_check__palette";
const MIN_SAMPLES = 10;

/** The per-sample increase of one concept's share of the region's pixels. */
function increaseSql(concept: string): string {
  return `SELECT (inside_after - inside_before) / region_pixels AS x FROM ${PAINTINGS}
     WHERE concept = ${sqlString(concept)} ORDER BY image`;
}

/** The measure of claim C13 (rule above). */
export const C13: ClaimMeasure = {
  id: "C13",
  thresholds: "gan",
  needs: ["paint-check"],
  rule: "each palette concept painted into one fixed region of every sample: the concept's share " +
    "of the region's pixels after minus before, averaged over samples; a concept is painted when " +
    "its 95% interval lies above 0. Holds when more than half of the palette's concepts are painted " +
    `(inconclusive with fewer than ${MIN_SAMPLES} samples)`,
  async measure(q, ctx) {
    const palette = await q.rows<{ concept: string; units: number }>(
      `SELECT concept, count(*) AS units FROM ${PALETTE}
       GROUP BY concept, position ORDER BY position`,
    );
    const [{ samples }] = await q.rows<{ samples: number }>(
      `SELECT count(DISTINCT image) AS samples FROM ${PAINTINGS}`,
    );
    if (palette.length === 0) throw new InsufficientData("the palette is empty: nothing painted");
    if (samples < MIN_SAMPLES) {
      throw new InsufficientData(`${samples} samples painted; the rule needs ${MIN_SAMPLES}`);
    }
    const increases: Measured[] = [];
    for (const c of palette) {
      increases.push(
        await q.mean(
          `${c.concept}: increase of its share of the region's pixels`,
          increaseSql(c.concept),
        ),
      );
    }
    const painted = palette.filter((_, k) => increases[k].ci![0] > 0).map((c) => c.concept);
    const unpainted = palette.map((c) => c.concept).filter((c) => !painted.includes(c));
    const allSql =
      `SELECT concept, image, (inside_after - inside_before) / region_pixels AS increase
     FROM ${PAINTINGS} ORDER BY concept, image`;
    const summary: Measured = {
      label: "palette concepts painted (95% interval of the increase above 0)",
      value: `${painted.length} of ${palette.length}`,
      sql: allSql,
      tables: q.tablesIn(allSql),
    };
    const bySql = `SELECT concept,
       avg(inside_before / region_pixels) AS before, avg(inside_after / region_pixels) AS after,
       avg((outside_after - outside_before) / outside_pixels) AS outside
     FROM ${PAINTINGS} p JOIN (SELECT DISTINCT concept, position FROM ${PALETTE}) USING (concept)
     GROUP BY concept, position ORDER BY position`;
    const by = await q.rows<{ concept: string; before: number; after: number; outside: number }>(
      bySql,
    );
    const names = by.map((b) => b.concept);
    const holds = painted.length > palette.length / 2;
    const units = Math.max(...palette.map((c) => c.units));
    const params = ctx.inputs["paint-check"].manifest.keyParts.params as {
      region?: number[];
      boost?: number;
      layer?: string;
    };
    return {
      values: [
        summary,
        await q.value("samples painted", `SELECT count(DISTINCT image) AS value FROM ${PAINTINGS}`),
        ...increases,
      ],
      verdict: {
        outcome: holds ? "holds" : "fails",
        detail: `${painted.length} of ${palette.length} concepts appear where painted` +
          (painted.length ? ` (${painted.join(", ")})` : "") +
          (unpainted.length ? `; not: ${unpainted.join(", ")}` : "") + ".",
      },
      figures: [{
        kind: "bars",
        title: "Share of the painted region that the segmenter labels as the concept",
        xLabel: "concept (palette order: most frequent first)",
        yLabel: "share of the region's pixels",
        x: names.map((_, i) => i),
        xNames: names,
        series: [
          { label: "unedited", values: by.map((b) => b.before) },
          { label: "painted", values: by.map((b) => b.after) },
        ],
      }, {
        kind: "bars",
        title: "Change of the concept's share, inside the region and outside it",
        xLabel: "concept",
        yLabel: "share after minus before",
        x: names.map((_, i) => i),
        xNames: names,
        series: [
          { label: "inside the region", values: by.map((b) => b.after - b.before) },
          { label: "outside the region", values: by.map((b) => b.outside) },
        ],
      }],
      extraHtml: (await artifactImage(
        ctx,
        "paint-check",
        "examples.png",
        `Each row is one sample: unedited, then the region (outlined) painted with ${
          names.join(", ")
        }, in that order`,
      )) + paintAppHtml(units, params),
    };
  },
};

/** How to paint by hand with the same palette and code path. */
function paintAppHtml(
  units: number,
  params: { region?: number[]; boost?: number; layer?: string },
) {
  return `<h2>Paint it yourself</h2>
<p>The numbers above come from the code path of the paint page: each concept is its ${units}
units of ${esc(params.layer ?? "the edit layer")} with the highest IoU, set to ${
    esc(params.boost ?? 1)
  } × t_u in the cells under a stroke (region ${esc(JSON.stringify(params.region ?? []))},
as [top, left, bottom, right] fractions of the image). To paint by hand on this run's samples,
start the page from the project folder and open the address it prints:</p>
<pre>deno task paint            # serves <a href="http://localhost:8765/">http://localhost:8765/</a>
deno task paint --port 9000 --store artifacts --config my-run.json</pre>
<p>Pick a concept, draw on the image (or erase), undo, or ask for a new sample; the server
regenerates the image from the edited layer on every stroke.</p>`;
}
