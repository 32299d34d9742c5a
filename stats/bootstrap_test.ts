import { assert, assertEquals } from "../tests/assert.ts";
import { bootstrap, bootstrapDifference, bootstrapMean } from "./bootstrap.ts";
import { seededRandom } from "./random.ts";

Deno.test("bootstrap intervals of a mean cover the truth at about their level", () => {
  // 200 samples of 300 coin flips with p = 0.3: the 95% interval should cover 0.3 in ~95%.
  const rand = seededRandom(42);
  let covered = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const flips = Array.from({ length: 300 }, () => (rand() < 0.3 ? 1 : 0));
    const ci = bootstrapMean(flips, { resamples: 400, seed: t });
    if (ci.lo <= 0.3 && 0.3 <= ci.hi) covered++;
    assert(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
  }
  assert(covered / trials > 0.88 && covered / trials < 0.99, `coverage ${covered / trials}`);
});

Deno.test("bootstrap is a function of the data and the seed", () => {
  const xs = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1];
  assertEquals(bootstrapMean(xs, { seed: 3 }), bootstrapMean(xs, { seed: 3 }));
});

Deno.test("resamples where the statistic is undefined are dropped, or make the interval undefined", () => {
  const rare = [1, ...new Array(999).fill(0)];
  // The mean of positives among resampled rows is undefined when the single positive is not drawn.
  const ci = bootstrapMean(rare, { seed: 2 });
  assertEquals(Number.isNaN(ci.lo), false);
  const undefinedOften = bootstrap(10, (w) => (w[0] ? 1 : NaN), { resamples: 200, seed: 1 });
  assertEquals([Number.isNaN(undefinedOften.lo), Number.isNaN(undefinedOften.hi)], [true, true]);
});

Deno.test("the difference of two independent samples: exact estimate, interval from resampling each", () => {
  const mean = (xs: number[]) => (w: Uint32Array) => {
    let s = 0, c = 0;
    xs.forEach((x, i) => {
      s += w[i] * x;
      c += w[i];
    });
    return s / c;
  };
  const a = Array.from({ length: 60 }, (_, i) => (i % 10) / 10);
  const shifted = a.map((x) => x + 0.5);
  const same = bootstrapDifference(
    { n: a.length, stat: mean(a) },
    { n: a.length, stat: mean(a) },
  );
  assertEquals(same.estimate, 0);
  assert(same.lo < 0 && same.hi > 0, JSON.stringify(same));
  const apart = bootstrapDifference(
    { n: shifted.length, stat: mean(shifted) },
    { n: a.length, stat: mean(a) },
  );
  assert(Math.abs(apart.estimate - 0.5) < 1e-12);
  assert(
    apart.lo > 0.3 && apart.hi < 0.7 && apart.lo < 0.5 && apart.hi > 0.5,
    JSON.stringify(apart),
  );
  // Seeded: the same call gives the same interval.
  assertEquals(
    bootstrapDifference({ n: 60, stat: mean(shifted) }, { n: 60, stat: mean(a) }),
    apart,
  );
});
