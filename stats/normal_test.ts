import { assert, assertEquals } from "../tests/assert.ts";
import { normalLatents, rowNorm } from "./normal.ts";

Deno.test("latents are standard normal and reproducible by index", () => {
  const all = normalLatents(3, 0, 200, 64);
  let sum = 0, sq = 0;
  for (const v of all) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / all.length, variance = sq / all.length - mean * mean;
  assert(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  assertEquals(normalLatents(3, 57, 3, 64), all.slice(57 * 64, 60 * 64));
  assert(normalLatents(4, 0, 1, 64)[0] !== all[0], "the seed matters");
});

Deno.test("row norms of a row-major matrix", () => {
  const m = Float32Array.of(3, 4, 0, 1, 2, 2);
  assertEquals([rowNorm(m, 0, 3), rowNorm(m, 1, 3)], [5, 3]);
});
