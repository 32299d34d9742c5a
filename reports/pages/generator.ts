/**
 * The generator of the zoo: a sample grid, how often each concept appears in
 * generated images against real images of the family (both seen through the
 * same segmenter), and how far apart the two sets are in the classifier's
 * feature space.
 */
import { join } from "node:path";
import type { ExtraPage } from "../build.ts";
import { valuesTable } from "../build.ts";
import { figureHtml } from "../figures.ts";
import { esc } from "../html.ts";

const GEN = "segment_gan_church__concept_frequency";
const REAL = "segment_church__concept_frequency";

/** The generator page: samples, and concept frequencies in generated against real churches. */
export const generatorPage: ExtraPage = {
  id: "generator",
  title: "The church generator: samples and concept frequencies",
  needs: ["gan-church", "segment-gan-church", "segment-church"],
  async build(q, { dir, inputs }) {
    await Deno.copyFile(inputs["gan-church"].file("grid.png"), join(dir, "pages", "gan-grid.png"));
    const pairs = await q.rows<{ name: string; category: string; real: number; gen: number }>(
      `SELECT r.name, r.category, r.image_fraction AS real, g.image_fraction AS gen
       FROM ${REAL} r JOIN ${GEN} g USING (concept)
       WHERE r.image_fraction > 0 OR g.image_fraction > 0 ORDER BY r.image_fraction DESC`,
    );
    const corr = await q.value(
      "correlation of per-concept image frequency, generated vs real",
      `SELECT corr(g.image_fraction, r.image_fraction) AS value
       FROM ${REAL} r JOIN ${GEN} g USING (concept)
       WHERE r.image_fraction > 0 OR g.image_fraction > 0`,
    );
    const key = (name: string) =>
      q.value(
        `images containing ${name}: generated / real`,
        `SELECT g.image_fraction / nullif(r.image_fraction, 0) AS value
         FROM ${REAL} r JOIN ${GEN} g USING (concept) WHERE r.name = '${name}'`,
      );
    const values = [corr, await key("tree"), await key("building"), await key("door")];
    if ("gan-distance" in inputs) {
      for (
        const [m, label] of [
          ["kid_a_b", "KID, generated vs real church images"],
          ["kid_b_halves", "KID, real vs real (two halves; the floor)"],
        ]
      ) {
        values.push(
          await q.value(
            label,
            `SELECT value, lo, hi FROM gan_distance__distance WHERE measure = '${m}'`,
          ),
        );
      }
    }
    const objects = pairs.filter((p) => p.category === "object" || p.category === "part").slice(
      0,
      30,
    );
    const body = `<p>Generated samples (first of the run's latents):</p>
<p><img src="gan-grid.png" alt="generated samples" style="image-rendering: pixelated; width: 420px"></p>
${valuesTable(values)}
${
      figureHtml({
        kind: "bars",
        title: "Fraction of images containing each concept (segmenter's view), real vs generated",
        xLabel: "concept",
        yLabel: "fraction of images",
        x: objects.map((_, i) => i),
        xNames: objects.map((p) => p.name),
        series: [
          { label: "real church images", values: objects.map((p) => p.real) },
          { label: "generated", values: objects.map((p) => p.gen) },
        ],
      })
    }
<p class="muted">${esc(pairs.length)} concepts appear in either set.</p>`;
    return { body, values };
  },
};
