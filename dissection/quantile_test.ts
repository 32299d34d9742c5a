import { assert, assertEquals } from "../tests/assert.ts";
import { TopQuantile } from "./quantile.ts";
import { seededRandom } from "../stats/random.ts";

/** Run the three passes over `data` laid out [n][units][m], in batches of 7 images. */
function thresholdsOf(
  data: Float32Array,
  n: number,
  units: number,
  m: number,
  q: number,
  bins = 256,
) {
  const tq = new TopQuantile(units, q, bins);
  const each = (f: (u: number, start: number) => void) => {
    for (let start = 0; start < n; start += 7) {
      for (let i = start; i < Math.min(n, start + 7); i++) {
        for (let u = 0; u < units; u++) f(u, (i * units + u) * m);
      }
    }
  };
  each((u, s) => tq.observeRange(u, data, s, m));
  tq.beginRefine();
  each((u, s) => tq.observeRefine(u, data, s, m));
  tq.narrow();
  each((u, s) => tq.observeRefine(u, data, s, m));
  return tq.thresholds();
}

Deno.test("the top-q threshold leaves q of the values above it, within 3% (relative)", () => {
  const rand = seededRandom(5);
  const n = 300, units = 4, m = 49;
  const data = new Float32Array(n * units * m);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < units; u++) {
      for (let k = 0; k < m; k++) {
        const r = rand();
        // unit 0 uniform; 1 ReLU of a normal-ish (half zeros); 2 heavy tail; 3 tiny scale
        const v = u === 0
          ? r
          : u === 1
          ? Math.max(0, r + rand() - 1)
          : u === 2
          ? 1 / (1 - r * 0.999)
          : r * 1e-6;
        data[(i * units + u) * m + k] = v;
      }
    }
  }
  for (const q of [0.01, 0.005, 0.05]) {
    const ts = thresholdsOf(data, n, units, m, q);
    for (let u = 0; u < units; u++) {
      // exact fraction by brute force
      let above = 0;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < m; k++) if (data[(i * units + u) * m + k] > ts[u].threshold) above++;
      }
      const frac = above / (n * m);
      assertEquals(
        frac,
        ts[u].fractionAbove,
        `unit ${u} q ${q}: reported ${ts[u].fractionAbove} vs ${frac} t=${ts[u].threshold}`,
      );
      assert(Math.abs(frac - q) / q <= 0.03, `unit ${u}, q ${q}: fraction above ${frac}`);
    }
  }
});

Deno.test("a constant unit gets its value as threshold and nothing above", () => {
  const data = new Float32Array(2 * 1 * 10).fill(0);
  const [t] = thresholdsOf(data, 2, 1, 10, 0.01);
  assertEquals(t, { threshold: 0, fractionAbove: 0 });
});
