/** Spearman's rank correlation (average ranks for ties), for weighted resamples too. */

function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation of the ranks of x and y, rows repeated w[i] times. */
export function spearman(x: number[], y: number[], w?: Uint32Array): number {
  const xs: number[] = [], ys: number[] = [];
  x.forEach((v, i) => {
    for (let k = 0; k < (w ? w[i] : 1); k++) {
      xs.push(v);
      ys.push(y[i]);
    }
  });
  const rx = ranks(xs), ry = ranks(ys);
  const n = rx.length,
    mx = rx.reduce((a, b) => a + b, 0) / n,
    my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}
