/**
 * C13: painting with a concept's units adds the concept where it is painted.
 * Rule (fixed before the measured run; only a 40-sample pilot of the edit on
 * hand-picked concepts preceded it): every concept of the paint page's
 * palette is painted (its top units set to boost x t_u) into one fixed
 * region of each sample. Per concept, the increase of the concept's share of
 * the region's pixels (after minus before, as the segmenter sees them) is
 * averaged over samples; the concept is "painted" when the 95% bootstrap
 * interval (over samples) of that increase lies above 0. The concepts judged
 * are those a test of painting can use: their own units (at most half shared
 * with any other palette concept), at least half of which detect the concept
 * (IoU >= 0.04). Holds when more than half of the judged concepts are
 * painted; does not hold otherwise. Inconclusive with fewer than 10 samples
 * or an empty palette. Each concept's units are the paper's 20 of 512 scaled
 * to the layer (the palette's default). Precondition: at least 3 concepts
 * judged.
 */
import { type ClaimMeasure, InsufficientData, type Measured, precondition } from "../measure.ts";
import { sqlString } from "../../engine/duck.ts";
import { esc } from "../html.ts";
import { artifactImage } from "./images.ts";
import { beyond, settle } from "../verdict.ts";
import { IOU_BAR } from "./dissection.ts";

const PAINTINGS = "paint_check__paintings";
const PALETTE = "paint_check__palette";
const MIN_SAMPLES = 10;
/** A concept's units are its own when at most this share of them is also another concept's. */
const MAX_SHARED = 0.5;
/** The fewest concepts judged: with 3, "more than half" is a majority rather than all. */
const MIN_JUDGED = 3;

/** SQL: per palette concept, the largest share of its units that one other concept also uses. */
const OVERLAP_SQL = `WITH p AS (SELECT DISTINCT concept, unit FROM ${PALETTE}),
  n AS (SELECT concept, count(*) AS units FROM p GROUP BY concept),
  shared AS (SELECT a.concept, b.concept AS other, count(*) AS common
    FROM p a JOIN p b ON a.unit = b.unit AND a.concept <> b.concept GROUP BY ALL)
  SELECT n.concept, coalesce(max(s.common), 0) / n.units AS overlap
  FROM n LEFT JOIN shared s USING (concept) GROUP BY n.concept, n.units`;

/** SQL: per palette concept, the share of its units with IoU >= the detector bar. */
const DETECTORS_SQL = `SELECT concept, avg((iou >= ${IOU_BAR})::INT) AS detectors
  FROM ${PALETTE} GROUP BY concept`;

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
    "its 95% interval lies above 0. Judged: the concepts with their own units (at most " +
    `${100 * MAX_SHARED}% shared with another) of which at least half detect them (IoU >= ` +
    `${IOU_BAR}). Holds when more than half of the judged concepts are painted (inconclusive with ` +
    `fewer than ${MIN_SAMPLES} samples). Needs at least ${MIN_JUDGED} judged concepts`,
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
    const painted = palette.filter((_, k) =>
      beyond(increases[k].ci!, { bar: 0, side: "above", inclusive: false })
    ).map((c) => c.concept);
    const unpainted = palette.map((c) => c.concept).filter((c) => !painted.includes(c));
    const allSql =
      `SELECT concept, image, (inside_after - inside_before) / region_pixels AS increase
     FROM ${PAINTINGS} ORDER BY concept, image`;
    const summary: Measured = {
      label: "palette concepts painted (95% interval of the increase above 0)",
      value: `${painted.length} of ${palette.length}`,
      computedBy: "bootstrapMean (stats/bootstrap.ts) per concept, counted by beyond " +
        "(reports/verdict.ts)",
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
    // The concepts a test of painting can use: their own units, which detect them.
    const qualifySql = `SELECT o.concept FROM (${OVERLAP_SQL}) o JOIN (${DETECTORS_SQL}) d
      USING (concept) WHERE o.overlap <= ${MAX_SHARED} AND d.detectors >= 0.5`;
    const qualified = new Set(
      (await q.rows<{ concept: string }>(qualifySql)).map((r) => r.concept),
    );
    const judged = palette.filter((c) => qualified.has(c.concept)).map((c) => c.concept);
    const paintedJudged = judged.filter((c) => painted.includes(c));
    const holds = paintedJudged.length > judged.length / 2;
    const enough = await precondition(q, {
      need: `palette concepts with their own units (at most ${100 * MAX_SHARED}% shared with ` +
        `any other concept) of which at least half detect the concept (IoU >= ${IOU_BAR})`,
      paper: "the paper paints with a concept's own units (\"activating a concept's 20 units\"), " +
        "concept detectors found by dissecting a 512-unit layer4, where many concepts each " +
        "match several units (Fig. 3d) and tree and door units remove and add their objects " +
        "(Fig. 4); its paint page offers a palette of such concepts",
      bar: `at least ${MIN_JUDGED}`,
      sql: `SELECT count(*) AS value FROM (${qualifySql})`,
      test: (v) => v >= MIN_JUDGED,
    });
    const judgedSummary: Measured = {
      label: "concepts painted, of those with their own detector units (the rule's count)",
      value: `${paintedJudged.length} of ${judged.length}` +
        (judged.length ? ` (${judged.join(", ")})` : ""),
      computedBy: summary.computedBy,
      sql: `${allSql};\n-- the concepts judged:\n${qualifySql}`,
      tables: q.tablesIn(`${allSql} ${qualifySql}`),
    };
    // One concept more or fewer painted would turn the verdict: say so.
    const close = judged.length > 0 &&
      (holds
        ? paintedJudged.length - 1 <= judged.length / 2
        : paintedJudged.length + 1 > judged.length / 2);
    const units = Math.max(...palette.map((c) => c.units));
    const params = ctx.inputs["paint-check"].manifest.keyParts.params as {
      region?: number[];
      boost?: number;
      layer?: string;
    };
    return {
      values: [
        judgedSummary,
        summary,
        await q.value("samples painted", `SELECT count(DISTINCT image) AS value FROM ${PAINTINGS}`),
        ...increases,
      ],
      preconditions: [enough],
      margin: close
        ? `the verdict rests on one concept: with one concept ${holds ? "fewer" : "more"} ` +
          `painted (${paintedJudged.length} of ${judged.length} against "more than half"), it ` +
          "would turn"
        : undefined,
      verdict: settle(
        holds ? "holds" : "fails",
        `${paintedJudged.length} of ${judged.length} concepts with their own detector units ` +
          `painted (${judged.join(", ") || "none"}); of the whole palette ${painted.length} of ` +
          `${palette.length} appear where painted` +
          (painted.length ? ` (${painted.join(", ")})` : "") +
          (unpainted.length ? `; not: ${unpainted.join(", ")}` : "") + ".",
        [enough],
        `${paintedJudged.length} of ${judged.length} concepts with their own detector units ` +
          "painted: not more than half",
      ),
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
