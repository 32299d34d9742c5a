import { assert, assertEquals } from "../tests/assert.ts";
import { permutationDifference } from "./permutation.ts";

const distinct = (rows: readonly number[]) => new Set(rows).size;

Deno.test("a permutation test finds a real difference and none between exchangeable groups", () => {
  // 30 rows each: many labels against few.
  const rich = Array.from({ length: 30 }, (_, i) => i);
  const poor = Array.from({ length: 30 }, (_, i) => i % 3);
  const r = permutationDifference(rich, poor, distinct, { permutations: 500 });
  assertEquals(r.estimate, 27);
  assert(r.pAbove < 0.01 && r.pBelow > 0.99, JSON.stringify(r));
  assert(r.nullHi < 27, "the observed difference lies beyond the null's middle 95%");
  const same = permutationDifference(poor, [...poor].reverse(), distinct, { permutations: 500 });
  assertEquals(same.estimate, 0);
  assert(same.pAbove > 0.05 && same.pBelow > 0.05, JSON.stringify(same));
});

Deno.test("a count of distinct labels is not biased by redundancy the way a bootstrap is", () => {
  // Both groups match 12 labels; one has one row per label (and 84 others), one has 8 per label.
  const lean = [...Array.from({ length: 12 }, (_, i) => i), ...new Array(84).fill(-1)];
  const redundant = Array.from({ length: 96 }, (_, i) => i % 12);
  const labels = (rows: readonly number[]) => new Set(rows.filter((r) => r >= 0)).size;
  const r = permutationDifference(lean, redundant, labels, { permutations: 500, seed: 2 });
  assertEquals(r.estimate, 0);
  // Equal counts: no verdict either way.
  assert(r.pAbove > 0.025 && r.pBelow > 0.025, JSON.stringify(r));
});

Deno.test("the test is seeded", () => {
  const a = [1, 2, 3, 4, 5], b = [1, 1, 2, 2, 3];
  assertEquals(
    permutationDifference(a, b, distinct, { seed: 4 }),
    permutationDifference(a, b, distinct, { seed: 4 }),
  );
});
