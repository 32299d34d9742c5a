/**
 * How often each ground-truth concept of the world appears in a rendered
 * split: its share of all pixels and of images, by category and name.
 */

/** The rendered split's ground-truth frequencies, one row per concept (but "none"). */
export const TRUTH_FREQUENCY_TABLE = {
  category: "VARCHAR",
  name: "VARCHAR",
  pixel_fraction: "DOUBLE",
  image_fraction: "DOUBLE",
} as const;

/** Pixel and image counts of every concept of each category, image by image. */
export class TruthFrequency<C extends string> {
  readonly #pixels: Record<string, Float64Array> = {};
  readonly #images: Record<string, Float64Array> = {};
  #count = 0;

  /** `categories`: each category's class names (index = class in its maps); `px` pixels per image. */
  constructor(readonly categories: Record<C, readonly string[]>, readonly px: number) {
    for (const [c, names] of Object.entries<readonly string[]>(categories)) {
      this.#pixels[c] = new Float64Array(names.length);
      this.#images[c] = new Float64Array(names.length);
    }
  }

  /** Adds one image's class maps, one per category. */
  add(maps: Record<C, Uint8Array>): void {
    this.#count++;
    for (const [cat, names] of Object.entries<readonly string[]>(this.categories)) {
      const map = maps[cat as C], seen = new Uint8Array(names.length);
      for (let p = 0; p < map.length; p++) {
        this.#pixels[cat][map[p]]++;
        seen[map[p]] = 1;
      }
      for (let c = 0; c < seen.length; c++) this.#images[cat][c] += seen[c];
    }
  }

  /** The frequencies over the images added, category by category, classes in order, "none" left out. */
  rows(): { category: string; name: string; pixel_fraction: number; image_fraction: number }[] {
    return Object.entries<readonly string[]>(this.categories).flatMap(([cat, names]) =>
      names.flatMap((name, c) =>
        name === "none" ? [] : [{
          category: cat,
          name,
          pixel_fraction: this.#pixels[cat][c] / (this.#count * this.px),
          image_fraction: this.#images[cat][c] / this.#count,
        }]
      )
    );
  }
}
