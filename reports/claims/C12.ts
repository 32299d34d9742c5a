/**
 * C12: an adversarial attack works by changing the few units that matter to
 * the source and target classes. Over successful C&W attacks, the absolute
 * change of each unit's peak activation at the dissected layer, grouped per
 * image into the 4 most important units of the source class, the 4 of the
 * target class (rank-units), and all other units.
 * Rule (fixed before any run), in two parts: source holds when the 99%
 * bootstrap interval (over attacked images) of source top-4 minus other
 * units lies above 0, target when that of target top-4 minus other units
 * does; each does not hold otherwise. Fewer than 10 successful attacks:
 * inconclusive.
 */
import { type ClaimMeasure, InsufficientData, type Measured } from "../measure.ts";
import { artifactImage } from "./images.ts";
import { beyond, fromParts, part } from "../verdict.ts";

const ATTACKS = "cw_attack__attacks";
const TOP = 4;

/**
 * One row per successfully attacked image: mean |change of peak| in each
 * group of units. `scaled` divides each unit's change by its mean peak on the
 * originals of all attacked images, successful or not (context: do important
 * units move more than their size?).
 */
function perImage(scaled: boolean): string {
  const change = scaled
    ? "abs(p.after - p.before) / nullif(u.scale, 0)"
    : "abs(p.after - p.before)";
  return `WITH top AS (SELECT label, unit FROM rank_units__importance WHERE rank < ${TOP}),
  units AS (SELECT unit, avg(before) AS scale FROM cw_attack__peaks GROUP BY unit),
  changes AS (
    SELECT a.image, ${change} AS change,
      s.unit IS NOT NULL AS source_top, t.unit IS NOT NULL AS target_top
    FROM ${ATTACKS} a JOIN cw_attack__peaks p USING (image) JOIN units u USING (unit)
    LEFT JOIN top s ON s.label = a.source AND s.unit = p.unit
    LEFT JOIN top t ON t.label = a.target AND t.unit = p.unit
    WHERE a.success)
  SELECT image,
    avg(change) FILTER (WHERE source_top) AS source_top,
    avg(change) FILTER (WHERE target_top) AS target_top,
    avg(change) FILTER (WHERE NOT source_top AND NOT target_top) AS other
  FROM changes GROUP BY image
  -- Classes rank-units could not rank (no training images) leave a group empty.
  HAVING bool_or(source_top) AND bool_or(target_top)`;
}

/** The measure of claim C12 (rule above). */
export const C12: ClaimMeasure = {
  id: "C12",
  needs: ["cw-attack", "rank-units"],
  rule: `mean |change in peak activation| over successful attacks, in two parts: source holds ` +
    `when the 99% interval of (source top-${TOP} minus other units) lies above 0, target when ` +
    `that of (target top-${TOP} minus other units) does`,
  async measure(q, ctx) {
    const [{ n }] = await q.rows<{ n: number }>(
      `SELECT count(*)::INT AS n FROM ${ATTACKS} WHERE success`,
    );
    if (n < 10) throw new InsufficientData(`only ${n} attacks succeeded; 10 are needed`);
    const group = (x: string, scaled = false) =>
      `SELECT image, ${x} AS x FROM (${perImage(scaled)}) ORDER BY image`;
    const mean = (label: string, x: string, scaled = false) =>
      q.mean(label, group(x, scaled), { level: 0.99 });
    const source = await mean(`source class top-${TOP} units`, "source_top");
    const target = await mean(`target class top-${TOP} units`, "target_top");
    const other = await mean("all other units", "other");
    const sourceGap = await mean(`source top-${TOP} minus other units`, "source_top - other");
    const targetGap = await mean(`target top-${TOP} minus other units`, "target_top - other");
    const fmt = (m: Measured) => Number(m.value).toFixed(3);
    const gapText = (m: Measured) =>
      `${fmt(m)} (99% CI ${m.ci![0].toFixed(3)} to ${m.ci![1].toFixed(3)})`;
    const parts = [
      part(
        "source",
        beyond(sourceGap.ci!, { bar: 0, side: "above", inclusive: false }) ? "holds" : "fails",
        `source top-${TOP} minus other ` +
          `units ${gapText(sourceGap)}`,
      ),
      part(
        "target",
        beyond(targetGap.ci!, { bar: 0, side: "above", inclusive: false }) ? "holds" : "fails",
        `target top-${TOP} minus other ` +
          `units ${gapText(targetGap)}`,
      ),
    ];
    const examples = await q.rows<{ image: number; source_class: string; target_class: string }>(
      `SELECT image, source_class, target_class FROM ${ATTACKS} WHERE success ORDER BY image LIMIT 4`,
    );
    return {
      values: [
        source,
        target,
        other,
        sourceGap,
        targetGap,
        // Context, not part of the rule: the same differences with each unit's
        // change divided by its mean peak on the originals.
        await mean(
          `source top-${TOP} minus other units, relative to each unit's mean peak (context)`,
          "source_top - other",
          true,
        ),
        await mean(
          `target top-${TOP} minus other units, relative to each unit's mean peak (context)`,
          "target_top - other",
          true,
        ),
        await q.value(
          "attacks that succeeded",
          `SELECT avg(success::INT) AS value FROM ${ATTACKS}`,
          "fraction",
        ),
        await q.value(
          "median L2 distance of a successful attack (pixels in [0, 1], 3x64x64)",
          `SELECT median(l2) AS value FROM ${ATTACKS} WHERE success`,
        ),
      ],
      parts,
      verdict: fromParts(
        parts,
        `mean |change of peak|: source top-${TOP} ${fmt(source)}, target top-${TOP} ` +
          `${fmt(target)}, other units ${fmt(other)}, over ${n} successful attacks.`,
      ),
      figures: [{
        kind: "bars",
        title: "Mean absolute change in peak activation under attack (99% intervals in the table)",
        xLabel: "units",
        yLabel: "mean |change of peak activation|",
        x: [0, 1, 2],
        xNames: [`source top-${TOP}`, `target top-${TOP}`, "other units"],
        series: [{ label: "mean", values: [source, target, other].map((m) => Number(m.value)) }],
      }],
      extraHtml: await artifactImage(
        ctx,
        "cw-attack",
        "examples.png",
        "Each row an attack (" +
          examples.map((e) => `image ${e.image}: ${e.source_class} to ${e.target_class}`).join(
            "; ",
          ) +
          `): original, adversarial, perturbation (amplified), then for the top ${TOP} units of ` +
          `the source class and the top ${TOP} of the target class, where the unit's activation ` +
          "rose (red) or fell (blue)",
      ),
    };
  },
};
