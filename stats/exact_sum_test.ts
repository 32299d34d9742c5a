import { assertEquals } from "../tests/assert.ts";
import { ExactSums } from "./exact_sum.ts";
import { seededRandom } from "./random.ts";

/** A float32 as an exact multiple of 2^-149. */
function exactOf(v: number): bigint {
  if (v === 0) return 0n;
  const sign = v < 0 ? -1n : 1n;
  let m = Math.abs(v), e = 0;
  while (!Number.isInteger(m)) [m, e] = [m * 2, e - 1];
  return sign * (BigInt(m) << BigInt(e + 149));
}

Deno.test("exact sums equal brute force in BigInt, in any order and grouping", () => {
  const random = seededRandom(3);
  // Probabilities from tiny to one, subnormals, negatives and huge values: every bin.
  const values = Float32Array.from({ length: 5000 }, (_, i) => {
    const r = random();
    if (i % 7 === 0) return -r * 2 ** (Math.floor(random() * 200) - 100);
    if (i % 11 === 0) return r * 2 ** -140;
    if (i % 13 === 0) return r * 2 ** 120;
    return r ** 8;
  });
  const want = values.reduce((t, v) => t + exactOf(v), 0n);
  const forward = new ExactSums(1), backward = new ExactSums(1);
  values.forEach((v) => forward.add(0, v));
  values.toReversed().forEach((v) => backward.add(0, v));
  assertEquals(forward.exact(0), want);
  assertEquals(backward.exact(0), want);
  // Three shards summed apart and added exactly.
  const whole = new ExactSums(1);
  for (const [start, end] of [[0, 1234], [1234, 1235], [1235, 5000]]) {
    const part = new ExactSums(1);
    values.subarray(start, end).forEach((v) => part.add(0, v));
    whole.addExact(0, part.exact(0));
  }
  assertEquals(whole.exact(0), want);
  assertEquals(whole.total(0), Number(want) * 2 ** -149);
});

Deno.test("a bin carried past 2^52 stays exact; sums are kept apart", () => {
  const sums = new ExactSums(2);
  // 2^23 additions of a value just under 1 push its bin past 2^52 steps many times.
  const v = Math.fround(0.9999999);
  for (let k = 0; k < 2 ** 23; k++) sums.add(1, v);
  assertEquals(sums.exact(1), exactOf(v) * 2n ** 23n);
  assertEquals(sums.exact(0), 0n);
  assertEquals(sums.total(1), v * 2 ** 23);
});
