import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { TopQuantile } from "./quantile.ts";
import { seededRandom } from "../stats/random.ts";

/** Run the two passes over `data` laid out [n][units][m], in batches of 7 images. */
function thresholdsOf(data: Float32Array, n: number, units: number, m: number, q: number) {
  const tq = new TopQuantile(units, m, q);
  for (const pass of [1, 2]) {
    for (let start = 0; start < n; start += 7) {
      const end = Math.min(n, start + 7);
      tq.observe(data.subarray(start * units * m, end * units * m), end - start);
    }
    if (pass === 1) tq.nextPass();
  }
  return tq.thresholds();
}

/** The exact fraction of unit u's values above t, by brute force. */
function fractionAbove(
  data: Float32Array,
  n: number,
  units: number,
  m: number,
  u: number,
  t: number,
) {
  let above = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) if (data[(i * units + u) * m + k] > t) above++;
  }
  return above / (n * m);
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
      const frac = fractionAbove(data, n, units, m, u, ts[u].threshold);
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

Deno.test("negative values, both zeros and ties: the reported fraction is exact", () => {
  const rand = seededRandom(11);
  const n = 200, units = 3, m = 25;
  const data = new Float32Array(n * units * m);
  for (let i = 0; i < data.length; i++) {
    const u = Math.floor(i / m) % units, r = rand();
    // unit 0 symmetric around 0; 1 negative with -0 and +0 mixed in; 2 few distinct values
    data[i] = u === 0
      ? (r - 0.5) * 6
      : u === 1
      ? (r < 0.5 ? (r < 0.25 ? -0 : 0) : -r)
      : Math.floor(r * 4);
  }
  for (const q of [0.01, 0.3, 0.6]) {
    const ts = thresholdsOf(data, n, units, m, q);
    for (let u = 0; u < units; u++) {
      const frac = fractionAbove(data, n, units, m, u, ts[u].threshold);
      assertEquals(frac, ts[u].fractionAbove, `unit ${u}, q ${q}`);
    }
  }
});

Deno.test("distinct values: the count above is within a final bucket of q * N", () => {
  // 20,000 uniform values in [1, 2): a final bucket spans 2^-15 of the value,
  // about 0.6 values here, so the count above misses q * N by at most a few.
  const rand = seededRandom(3);
  const data = Float32Array.from({ length: 20000 }, () => 1 + rand());
  const [t] = thresholdsOf(data, 20000, 1, 1, 0.01);
  const above = t.fractionAbove * 20000;
  assert(Math.abs(above - 200) <= 2, `${above} values above, 200 wanted`);
});

Deno.test("NaN or infinite activations are refused, naming the unit", () => {
  const data = new Float32Array(2 * 2 * 4);
  data[13] = NaN; // image 1, unit 1
  assertThrows(() => thresholdsOf(data, 2, 2, 4, 0.01), DissectError, "unit 1 has 1 activation");
  data[13] = Infinity;
  assertThrows(() => thresholdsOf(data, 2, 2, 4, 0.01), DissectError, "NaN or infinite");
});
