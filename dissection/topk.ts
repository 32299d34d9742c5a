/** The k images with the highest peak activation of each unit. */

/** The largest of `length` values from `offset`: a unit's peak over one image's map. */
export function peakOf(values: Float32Array, offset: number, length: number): number {
  let peak = -Infinity;
  for (let i = offset; i < offset + length; i++) if (values[i] > peak) peak = values[i];
  return peak;
}

/**
 * Each unit's k images of highest peak activation, kept as images stream by;
 * with a map size, also each kept image's activation map (for pictures of
 * the unit, drawn after counting without running the model again).
 */
export class TopK {
  /** Per unit, (peak, image) pairs sorted by peak descending. */
  readonly best: { peak: number; image: number }[][];
  /** Per unit, the maps of its `best` images in the same order (empty without a map size). */
  readonly maps: Float32Array[][];

  constructor(readonly units: number, readonly k: number, readonly mapSize = 0) {
    this.best = Array.from({ length: units }, () => []);
    this.maps = Array.from({ length: units }, () => []);
  }

  /** Offers an image's peak; with a map size, its map is values[offset .. offset + mapSize). */
  offer(unit: number, image: number, peak: number, values?: Float32Array, offset = 0): void {
    const list = this.best[unit];
    if (list.length === this.k && peak <= list[list.length - 1].peak) return;
    let i = list.length;
    while (i > 0 && list[i - 1].peak < peak) i--;
    list.splice(i, 0, { peak, image });
    if (this.mapSize) {
      if (!values) throw new Error(`TopK keeps maps: image ${image} was offered without one`);
      this.maps[unit].splice(i, 0, values.slice(offset, offset + this.mapSize));
    }
    if (list.length > this.k) {
      list.pop();
      this.maps[unit].pop();
    }
  }

  /**
   * Takes in the lists (and maps) of a TopK over later images (a later
   * shard): the result is the one streaming all images in order would give,
   * ties included, since each list holds equal peaks in image order.
   */
  merge(
    later: readonly (readonly { peak: number; image: number }[])[],
    maps?: readonly (readonly Float32Array[])[],
  ): void {
    later.forEach((list, unit) =>
      list.forEach((b, j) => this.offer(unit, b.image, b.peak, maps?.[unit][j]))
    );
  }

  /** The kept maps end to end, unit by unit in `best` order (what `mapsFrom` reads back). */
  packedMaps(): Float32Array {
    const out = new Float32Array(this.maps.reduce((n, m) => n + m.length, 0) * this.mapSize);
    let at = 0;
    for (const list of this.maps) {
      for (const m of list) {
        out.set(m, at);
        at += this.mapSize;
      }
    }
    return out;
  }
}

/** Splits `packedMaps()` of a TopK whose lists were `best` back into maps per unit. */
export function mapsFrom(
  packed: Float32Array,
  best: readonly (readonly unknown[])[],
  mapSize: number,
): Float32Array[][] {
  const want = best.reduce((n, l) => n + l.length, 0) * mapSize;
  if (packed.length !== want) {
    throw new Error(`${packed.length} map values for the top images, expected ${want}`);
  }
  let at = 0;
  return best.map((list) =>
    list.map(() => {
      at += mapSize;
      return packed.subarray(at - mapSize, at);
    })
  );
}
