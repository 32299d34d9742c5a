// Draws every <figure class="plot"> from the JSON spec it carries (see figures.ts).
(function () {
  "use strict";
  const palette = ["#3b6ea8", "#c0504d", "#5b9b55", "#8064a2", "#d08a2e", "#4bacc6"];
  for (const fig of document.querySelectorAll("figure.plot")) {
    const spec = JSON.parse(fig.querySelector("script").textContent);
    const area = fig.querySelector(".plot-area");
    const bars = spec.kind === "bars" ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;
    const names = spec.xNames;
    const opts = {
      width: Math.min(860, area.clientWidth || 860),
      height: 320,
      scales: {
        x: { time: false },
        // Bars grow from zero; lines and points use the data's own range.
        y: spec.kind === "bars" ? { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } : {},
      },
      axes: [
        {
          label: spec.xLabel,
          values: names ? (_u, ticks) => ticks.map((t) => names[t] ?? "") : undefined,
          rotate: names ? -30 : 0,
          size: names ? 80 : 50,
        },
        { label: spec.yLabel },
      ],
      series: [{ label: spec.xLabel }].concat(spec.series.map((s, i) => ({
        label: s.label,
        stroke: palette[i % palette.length],
        fill: spec.kind === "bars" ? palette[i % palette.length] + "aa" : undefined,
        width: spec.kind === "points" ? 0 : 2,
        paths: bars,
        points: { show: spec.kind === "points", size: 6 },
      }))),
    };
    if (names) opts.axes[0].splits = () => spec.x;
    new uPlot(opts, [spec.x].concat(spec.series.map((s) => s.values)), area);
  }
})();
