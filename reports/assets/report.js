// Draws every <figure class="plot"> from the JSON spec it carries (see figures.ts).
(function () {
  "use strict";
  const palette = ["#3b6ea8", "#c0504d", "#5b9b55", "#8064a2", "#d08a2e", "#4bacc6"];
  // uPlot's axis font: category labels are measured in it so that none is cut off.
  const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, ' +
    '"Noto Sans", sans-serif';
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = AXIS_FONT;
  // Category labels slant down to the right from their tick, by 30 degrees.
  const SLANT = Math.PI / 6;
  /**
   * Room for slanted labels: the axis height their longest one needs, and the
   * right padding that keeps the last ones (which run past their ticks) on
   * the canvas, with each label's ticks at least `slot` apart.
   */
  function labelRoom(names, slot) {
    const widths = names.map((n) => measure.measureText(n).width);
    const drop = Math.max(0, ...widths) * Math.sin(SLANT) + 12 * Math.cos(SLANT);
    let right = 0;
    widths.forEach((w, i) => {
      right = Math.max(right, w * Math.cos(SLANT) - (names.length - 1 - i) * slot);
    });
    return { size: Math.ceil(drop) + 40, right: Math.ceil(right) + 10 };
  }
  for (const fig of document.querySelectorAll("figure.plot")) {
    const spec = JSON.parse(fig.querySelector("script").textContent);
    const area = fig.querySelector(".plot-area");
    // Two bar series stand side by side (left and right of each x); one is centered.
    const k = spec.series.length;
    const barsFor = (i) =>
      spec.kind === "bars"
        ? uPlot.paths.bars({
          size: [k > 1 ? 0.35 : 0.6, 60],
          align: k === 2 ? (i === 0 ? -1 : 1) : 0,
        })
        : undefined;
    const names = spec.xNames;
    const width = Math.min(860, area.clientWidth || 860);
    const room = names ? labelRoom(names, (width - 250) / Math.max(1, names.length)) : null;
    const opts = {
      width,
      height: names ? 270 + room.size : 320,
      padding: room ? [12, room.right, 0, 12] : undefined,
      scales: {
        // Bars need half a slot of room at both ends.
        x: spec.kind === "bars"
          ? { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }
          : { time: false },
        // Bars grow from zero, up or down; lines and points use the data's own range.
        y: spec.kind === "bars"
          ? {
            range: (_u, min, max) => [
              min < 0 ? min * 1.05 : 0,
              max > 0 ? max * 1.05 : min < 0 ? 0 : 1,
            ],
          }
          : {},
      },
      axes: [
        {
          label: spec.xLabel,
          values: names ? (_u, ticks) => ticks.map((t) => names[t] ?? "") : undefined,
          rotate: names ? -30 : 0,
          size: names ? room.size : 50,
        },
        { label: spec.yLabel },
      ],
      series: [{ label: spec.xLabel }].concat(spec.series.map((s, i) => ({
        label: s.label,
        stroke: palette[i % palette.length],
        fill: spec.kind === "bars" ? palette[i % palette.length] + "aa" : undefined,
        width: spec.kind === "points" && !s.line ? 0 : 2,
        paths: barsFor(i),
        points: { show: spec.kind === "points" && !s.line, size: 6 },
      }))),
    };
    if (names) opts.axes[0].splits = () => spec.x;
    // uPlot needs ascending x: scatter data is sorted here, series along.
    const order = spec.x.map((_, i) => i).sort((a, b) => spec.x[a] - spec.x[b]);
    const data = [order.map((i) => spec.x[i])].concat(
      spec.series.map((s) => order.map((i) => s.values[i])),
    );
    // Kept on the figure, so that a test can ask the chart where it drew.
    fig.plot = new uPlot(opts, data, area);
  }
})();
