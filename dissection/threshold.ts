/** Choosing a unit's threshold when its peak activation is used as a binary classifier. */

/**
 * The cut on peak activation with the best balanced accuracy (midpoints
 * between distinct sorted values), or null when the rows lack images on one
 * side (with or without the concept): then there is no cut to fit.
 */
export function bestThreshold(rows: { present: boolean; peak: number }[]): number | null {
  const pos = rows.filter((r) => r.present).length, neg = rows.length - pos;
  if (!pos || !neg) return null;
  const sorted = [...rows].sort((a, b) => b.peak - a.peak);
  let tp = 0, fp = 0, best = { acc: -1, t: sorted[0].peak };
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].present) tp++;
    else fp++;
    const next = sorted[i + 1]?.peak ?? -Infinity;
    if (next === sorted[i].peak) continue; // a cut must fall between distinct values
    const acc = 0.5 * (tp / pos + (neg - fp) / neg);
    if (acc > best.acc) {
      best = { acc, t: Number.isFinite(next) ? (sorted[i].peak + next) / 2 : sorted[i].peak - 1 };
    }
  }
  return best.t;
}
