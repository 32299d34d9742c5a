import { halfBoxFlags } from "./half_parts.ts";
import { assertEquals } from "../tests/assert.ts";
import { fromRows } from "../tests/label_maps.ts";

// Flags as letters: top-left a (5), top-right b (9), bottom-left c (6), bottom-right d (10).
const LETTER: Record<number, string> = { 0: ".", 5: "a", 9: "b", 6: "c", 10: "d" };

function halves(rows: string[], only: number): string[] {
  const { map, width, height } = fromRows(rows);
  const f = halfBoxFlags(map, width, height);
  return rows.map((_, y) =>
    Array.from({ length: width }, (_, x) => {
      const i = y * width + x;
      return map[i] === only ? LETTER[f[i]] : ".";
    }).join("")
  );
}

Deno.test("one even-sized component splits into four quadrants", () => {
  assertEquals(halves(["0000", "0110", "0110", "0000"], 1), ["....", ".ab.", ".cd.", "...."]);
  // The background is one component too, with its own box (the whole image).
  assertEquals(halves(["0000", "0110", "0110", "0000"], 0).length, 4);
  const { map } = fromRows(["1111", "1221", "1221", "1111"]);
  const f = halfBoxFlags(map, 4, 4);
  assertEquals([f[0], f[3], f[12], f[15]], [5, 9, 6, 10]);
});

Deno.test("odd sizes: the middle row goes to top, the middle column to left", () => {
  assertEquals(halves(["111", "111", "111"], 1), ["aab", "aab", "ccd"]);
  assertEquals(halves(["1", "1", "1"], 1), ["a", "a", "c"]);
  assertEquals(halves(["111"], 1), ["aab"]);
  assertEquals(halves(["1"], 1), ["a"]);
});

Deno.test("two components of the same class get their own boxes", () => {
  const rows = [
    "11000000",
    "11000000",
    "00000111",
    "00000111",
    "00000111",
    "00000111",
  ];
  assertEquals(halves(rows, 1), [
    "ab......",
    "cd......",
    ".....aab",
    ".....aab",
    ".....ccd",
    ".....ccd",
  ]);
});

Deno.test("components are 4-connected: diagonal neighbours are separate", () => {
  assertEquals(halves(["10", "01"], 1), ["a.", ".a"]);
});

Deno.test("a non-convex component uses its bounding box, not its own extent", () => {
  // An L shape: box is 3x3; the vertical bar's lower pixels are bottom-left.
  assertEquals(halves(["100", "100", "111"], 1), ["a..", "a..", "ccd"]);
});
