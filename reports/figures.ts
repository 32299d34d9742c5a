/**
 * Figures are data, drawn in the browser by assets/report.js with uPlot
 * (bundled into the report, so it works offline from file://).
 */
import { esc } from "./html.ts";

/** A chart on a page: kind, axes and series. */
export interface Figure {
  kind: "bars" | "lines" | "points";
  title: string;
  xLabel: string;
  yLabel: string;
  /** x values (numbers); `xNames` labels them when they are categories. */
  x: number[];
  xNames?: string[];
  /** `line`: drawn as a line even in a points chart (a threshold across a scatter). */
  series: { label: string; values: (number | null)[]; line?: boolean }[];
}

/** The HTML (and data) of a chart. */
export function figureHtml(fig: Figure): string {
  const json = JSON.stringify(fig).replaceAll("<", "\\u003c");
  return `<figure class="plot"><figcaption>${esc(fig.title)}</figcaption>` +
    `<div class="plot-area"></div><script type="application/json">${json}</script></figure>`;
}
