/** The k images with the highest peak activation of each unit. */

/** The largest of `length` values from `offset`: a unit's peak over one image's map. */
export function peakOf(values: Float32Array, offset: number, length: number): number {
  let peak = -Infinity;
  for (let i = offset; i < offset + length; i++) if (values[i] > peak) peak = values[i];
  return peak;
}

/** Each unit's k images of highest peak activation, kept as images stream by. */
export class TopK {
  /** Per unit, (peak, image) pairs sorted by peak descending. */
  readonly best: { peak: number; image: number }[][];

  constructor(readonly units: number, readonly k: number) {
    this.best = Array.from({ length: units }, () => []);
  }

  offer(unit: number, image: number, peak: number): void {
    const list = this.best[unit];
    if (list.length === this.k && peak <= list[list.length - 1].peak) return;
    let i = list.length;
    while (i > 0 && list[i - 1].peak < peak) i--;
    list.splice(i, 0, { peak, image });
    if (list.length > this.k) list.pop();
  }

  /**
   * Takes in the lists of a TopK over later images (a later shard): the
   * result is the one streaming all images in order would give, ties
   * included, since each list holds equal peaks in image order.
   */
  merge(later: readonly (readonly { peak: number; image: number }[])[]): void {
    later.forEach((list, unit) => list.forEach((b) => this.offer(unit, b.image, b.peak)));
  }
}
