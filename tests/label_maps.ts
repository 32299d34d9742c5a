/** Label maps written as rows of digits, for tests that draw small maps by hand. */

/** A label map as one string per row (single-digit labels). */
export function mask(map: Uint8Array, width: number, height: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    rows.push([...map.subarray(y * width, (y + 1) * width)].join(""));
  }
  return rows;
}

/** Parse rows of digits back into a label map. */
export function fromRows(rows: string[]): { map: Uint8Array; width: number; height: number } {
  const height = rows.length, width = rows[0].length;
  const map = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (map[y * width + x] = Number(ch))));
  return { map, width, height };
}
