import { assertEquals } from "../tests/assert.ts";
import { BORDERS, SourceGrid } from "./upsample.ts";
import { seededRandom } from "../stats/random.ts";

Deno.test("hot columns and row maxima: exactly the blocks with a corner at (or above) the bound", () => {
  const rand = seededRandom(5);
  for (
    const [h, w, H, W] of [[3, 5, 17, 23], [7, 7, 56, 56], [4, 4, 4, 4], [6, 9, 3, 4], [1, 1, 9, 9]]
  ) {
    for (const border of BORDERS) {
      const g = new SourceGrid(h, w, H, W, border);
      const R = g.rowRuns, C = g.colRuns;
      const map = Float32Array.from({ length: h * w }, () => rand() < 0.1 ? NaN : rand() * 4 - 1);
      g.load(map, 0);
      const at = (i: number, j: number) => g.data[g.base + i * g.stride + j];
      for (let i = 0; i < g.rowMax.length; i++) {
        let m = border === "zeros" ? 0 : -Infinity;
        for (let j = 0; j < g.stride; j++) if (at(i, j) > m) m = at(i, j);
        assertEquals(g.rowMax[i], m, `row ${i}`);
      }
      for (const bound of [-0.5, 0.5, 2.5, NaN]) {
        for (const strict of [false, true]) {
          for (let r = 0; r < R.start.length; r++) {
            const want: number[] = [];
            for (let c = 0; c < C.start.length; c++) {
              const corners = [[R.i0[r], C.i0[c]], [R.i0[r], C.i1[c]], [R.i1[r], C.i0[c]], [
                R.i1[r],
                C.i1[c],
              ]].map(([i, j]) => at(i, j));
              const b = Number.isNaN(bound) ? -Infinity : bound;
              if (corners.some((v) => strict ? v > b : v >= b)) want.push(c);
            }
            const n = g.hotColumns(r, bound, strict);
            assertEquals([...g.hot.subarray(0, n)], want, `${h}x${w}->${H}x${W} ${border} r ${r}`);
          }
        }
      }
    }
  }
});
