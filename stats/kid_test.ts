import { assert, assertEquals } from "../tests/assert.ts";
import { type Features, halves, kid } from "./kid.ts";
import { normalLatents } from "./normal.ts";

function gaussian(seed: number, n: number, d: number, shift = 0): Features {
  const data = normalLatents(seed, 0, n, d).map((v) => v + shift);
  return { n, d, data };
}

Deno.test("KID is near zero for one distribution and clearly positive for two", () => {
  const same = kid(gaussian(1, 600, 8), gaussian(2, 600, 8), { blocks: 6 });
  assert(same.lo <= 0.01 && Math.abs(same.estimate) < 0.05, JSON.stringify(same));
  const apart = kid(gaussian(1, 600, 8), gaussian(3, 600, 8, 1), { blocks: 6 });
  assert(apart.lo > same.hi, `${JSON.stringify(apart)} vs ${JSON.stringify(same)}`);
});

Deno.test("halves: the first floor(n/2) rows, then the rest", () => {
  const f: Features = { n: 5, d: 2, data: Float32Array.from({ length: 10 }, (_, i) => i) };
  const [a, b] = halves(f);
  assertEquals([a.n, [...a.data]], [2, [0, 1, 2, 3]]);
  assertEquals([b.n, [...b.data]], [3, [4, 5, 6, 7, 8, 9]]);
});
