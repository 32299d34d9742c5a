/**
 * M1: the dissected classifier is a real, working scene classifier.
 * Rule (fixed before any run): holds when the lower end of the 95% interval
 * of top-1 accuracy on held-out val is above 5x chance (1 / number of
 * classes); fails when the upper end is below it; inconclusive otherwise.
 */
import { intervalOutcome } from "../verdict.ts";
import type { ClaimMeasure } from "../measure.ts";
import { esc } from "../html.ts";

const PRED = "classify_val__predictions";
const CLASSES = "classify_val__classes";
/** A working classifier: top-1 above this many times chance. */
const TIMES_CHANCE = 5;

/** The measure of claim M1 (rule above). */
export const M1: ClaimMeasure = {
  id: "M1",
  needs: ["classify-val"],
  rule: "holds when the lower end of the 95% bootstrap interval of top-1 accuracy on held-out " +
    `val exceeds ${TIMES_CHANCE}x chance (1 / number of classes); does not hold when its upper ` +
    `end is below ${TIMES_CHANCE}x chance; inconclusive otherwise`,
  async measure(q) {
    const top1 = await q.mean(
      "top-1 accuracy (val)",
      `SELECT correct::INT AS x FROM ${PRED} ORDER BY image`,
      {
        unit: "",
      },
    );
    const top5 = await q.mean(
      "top-5 accuracy (val)",
      `SELECT top5::INT AS x FROM ${PRED} ORDER BY image`,
    );
    const chance = await q.value(
      "chance (1 / classes)",
      `SELECT 1.0 / count(*) AS value FROM ${CLASSES}`,
    );
    const n = await q.value("images", `SELECT count(*) AS value FROM ${PRED}`);
    const perClass = await q.rows<{ label: number; name: string; acc: number; n: number }>(
      `SELECT c.label, c.name, avg(p.correct::INT) AS acc, count(*) AS n
       FROM ${PRED} p JOIN ${CLASSES} c ON c.label = p.label GROUP BY ALL ORDER BY c.label`,
    );
    const confusion = await q.rows<{ label: number; predicted: number; n: number }>(
      `SELECT label, predicted, count(*) AS n FROM ${PRED} GROUP BY ALL`,
    );
    const bar = TIMES_CHANCE * Number(chance.value);
    const [lo, hi] = top1.ci!;
    const outcome = intervalOutcome([lo, hi], { bar: bar, side: "above", inclusive: false });
    return {
      values: [top1, top5, chance, n],
      verdict: {
        outcome,
        detail: `top-1 ${pct(Number(top1.value))} (95% CI ${pct(lo)} to ${
          pct(hi)
        }) against ${TIMES_CHANCE}x chance = ${pct(bar)}.`,
        ...(outcome !== "holds" && {
          why: `top-1's 95% interval does not lie above ${TIMES_CHANCE}x chance (${pct(bar)})`,
        }),
      },
      figures: [{
        kind: "bars",
        title: "Per-class top-1 accuracy on val",
        xLabel: "class",
        yLabel: "accuracy",
        x: perClass.map((_, i) => i),
        xNames: perClass.map((c) => c.name),
        series: [{ label: "accuracy", values: perClass.map((c) => c.acc) }],
      }],
      extraHtml: confusionHtml(perClass, confusion),
    };
  },
};

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Rows: true labels present; columns: labels predicted or present. Cells shaded by row share. */
function confusionHtml(
  classes: { label: number; name: string }[],
  cells: { label: number; predicted: number; n: number }[],
): string {
  const name = new Map(classes.map((c) => [c.label, c.name]));
  const rowsOf = [...new Set(cells.map((c) => c.label))].sort((a, b) => a - b);
  const colsOf = [...new Set([...rowsOf, ...cells.map((c) => c.predicted)])].sort((a, b) => a - b);
  const count = (r: number, c: number) =>
    cells.find((x) => x.label === r && x.predicted === c)?.n ?? 0;
  const head = `<tr><th>true \\ predicted</th>${
    colsOf.map((c) => `<th class="col">${esc(name.get(c) ?? c)}</th>`).join("")
  }</tr>`;
  const rows = rowsOf.map((r) => {
    const total = colsOf.reduce((s, c) => s + count(r, c), 0) || 1;
    return `<tr><th>${esc(name.get(r) ?? r)}</th>${
      colsOf.map((c) => {
        const v = count(r, c), a = v / total;
        return `<td style="background: rgba(59,110,168,${a.toFixed(2)}); color: ${
          a > 0.5 ? "#fff" : "#222"
        }">${v}</td>`;
      }).join("")
    }</tr>`;
  }).join("\n");
  return `<h2>Confusion matrix (val)</h2><div style="overflow-x:auto"><table class="confusion">${head}${rows}</table></div>`;
}
