/**
 * Shared queries and pieces of the dissection claims (C1, C2, C8): counts of
 * labeled units and distinct concepts per layer and category, and unit images.
 */
import { join } from "node:path";
import type { Measured, PageContext, ReportQuery } from "../measure.ts";
import { esc } from "../html.ts";

/** The paper's bar for calling a unit a detector of its best concept. */
export const IOU_BAR = 0.04;

/** The concept categories, in the paper's order. */
export const CATEGORIES = ["object", "part", "material", "color"] as const;

/** Per layer and category: units with a label of that category at IoU >= the bar, and distinct concepts. */
export interface LayerCounts {
  layer: string;
  position: number;
  category: string;
  units: number;
  concepts: number;
}

/**
 * Per layer and category: units whose best IoU >= bar, and the distinct
 * concepts they match. `which` names the pair of nodes: "val" reads
 * activations_val and iou_val, "gan" activations_gan and iou_gan.
 */
export function countsSql(which: "val" | "gan"): string {
  return `SELECT l.layer, l.position, c.category,
       count(u.unit) AS units, count(DISTINCT u.concept) AS concepts
     FROM activations_${which}__layers l
     CROSS JOIN (VALUES ('object'), ('part'), ('material'), ('color')) c(category)
     LEFT JOIN iou_${which}__unit_labels u
       ON u.layer = l.layer AND u.category = c.category AND u.iou >= ${IOU_BAR}
     GROUP BY ALL ORDER BY l.position, c.category`;
}

/** The per-layer counts of a dissection ("val": the classifier's, "gan": the generator's). */
export async function layerCounts(q: ReportQuery, which: "val" | "gan"): Promise<LayerCounts[]> {
  return await q.rows<LayerCounts>(countsSql(which));
}

/** Copy the top-image strips of some units next to the page and show them with their labels. */
export async function unitImages(
  ctx: PageContext,
  iouNode: string,
  units: { layer: string; unit: number; name: string; category: string; iou: number }[],
): Promise<string> {
  const src = ctx.inputs[iouNode];
  const dir = join(ctx.dir, "claims", "units");
  await Deno.mkdir(dir, { recursive: true });
  const rows: string[] = [];
  for (const u of units) {
    const file = `${iouNode}-${u.layer}-${u.unit}.png`;
    try {
      await Deno.copyFile(src.file(join("units", `${u.layer}-${u.unit}.png`)), join(dir, file));
    } catch {
      continue; // this layer was not drawn
    }
    rows.push(
      `<tr><td>${esc(u.layer)} unit ${u.unit}</td><td>${esc(u.name)} (${esc(u.category)})</td>` +
        `<td>${u.iou.toFixed(3)}</td><td><img src="units/${
          esc(file)
        }" alt="top images of unit ${u.unit}" ` +
        `style="image-rendering: pixelated; height: 96px"></td></tr>`,
    );
  }
  return rows.length
    ? `<table><thead><tr><th>unit</th><th>label</th><th>IoU</th><th>top images (region above t<sub>u</sub>)</th></tr></thead><tbody>${
      rows.join("\n")
    }</tbody></table>`
    : "";
}

/**
 * How the thresholds t_u of one dissection were defined, as one row of its
 * quantile node's `threshold_definition` table turned into words: every page
 * whose numbers rest on those thresholds shows it.
 */
export async function thresholdDefinition(
  q: ReportQuery,
  which: "val" | "gan",
): Promise<Measured> {
  const sql = `SELECT 'top ' || round(100 * q, 2) || '% of '
       || CASE over WHEN 'upsampled'
            THEN 'the activation upsampled to ' || width || 'x' || height || ' pixels'
            ELSE 'the activation on the layer''s own grid' END
       || '; masks upsampled with ' || CASE border WHEN 'zeros'
            THEN 'zeros around the map (the paper''s code)' ELSE 'edges clamped' END AS value
     FROM quantile_${which}__threshold_definition
     GROUP BY ALL ORDER BY count(*) DESC LIMIT 1`;
  return await q.value(`thresholds t_u (quantile-${which})`, sql);
}
