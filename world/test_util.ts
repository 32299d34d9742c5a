// Helpers shared by the world tests.

import { createHash } from "node:crypto";

export { assertEquals } from "../tests/assert.ts";

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

export function sha256(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}
