import { assert } from "../tests/assert.ts";
import { type Features, kid } from "./kid.ts";
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
