/** The 11 basic color terms; no "none": every pixel has a color. */
export const COLORS = [
  "black",
  "white",
  "gray",
  "red",
  "orange",
  "yellow",
  "green",
  "blue",
  "purple",
  "pink",
  "brown",
] as const;
/** A color term. */
export type ColorName = typeof COLORS[number];

// Names a pixel color with one of the 11 basic color terms (index into COLORS)
// by hand-set rules in HSV: achromatic by saturation/value first, then hue
// sectors, with dark oranges/yellows as brown and light low-saturation reds
// and magentas as pink.

/** Indices of the color terms in COLORS. */
export const BLACK = 0,
  WHITE = 1,
  GRAY = 2,
  RED = 3,
  ORANGE = 4,
  YELLOW = 5,
  GREEN = 6,
  BLUE = 7,
  PURPLE = 8,
  PINK = 9,
  BROWN = 10;

/** Color name index (see COLORS above) of an RGB triple 0..255. */
export function colorName(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b), min = Math.min(r, g, b);
  const v = max / 255;
  const s = max === 0 ? 0 : (max - min) / max;
  if (v < 0.16) return BLACK;
  if (s < 0.16 || (s < 0.25 && v < 0.35)) {
    if (v > 0.82) return WHITE;
    if (v < 0.3) return BLACK;
    return GRAY;
  }
  let h: number;
  const d = max - min;
  if (max === r) h = 60 * (((g - b) / d + 6) % 6);
  else if (max === g) h = 60 * ((b - r) / d + 2);
  else h = 60 * ((r - g) / d + 4);
  if (h < 15 || h >= 340) {
    if (s < 0.5 && v > 0.7) return PINK;
    if (v < 0.45 && s < 0.7) return BROWN;
    return RED;
  }
  if (h < 45) {
    if (v < 0.65 || s < 0.4) return BROWN;
    return ORANGE;
  }
  if (h < 70) {
    if (v < 0.5) return BROWN;
    return YELLOW;
  }
  if (h < 165) return GREEN;
  if (h < 255) return BLUE;
  if (h < 290) return PURPLE;
  return v > 0.6 && s < 0.8 ? PINK : PURPLE;
}

/** Color name per pixel of an interleaved RGB buffer. */
export function colorMap(rgb: Uint8Array): Uint8Array {
  const n = rgb.length / 3;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = colorName(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
  }
  return out;
}
