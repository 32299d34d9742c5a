import { assert, assertEquals } from "../tests/assert.ts";
import { spearman } from "./rank.ts";

Deno.test("Spearman correlation: monotone, reversed, ties, and weights", () => {
  assertEquals(spearman([1, 2, 3, 4], [10, 20, 30, 400]), 1);
  assertEquals(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  const tied = spearman([1, 1, 2, 2], [1, 2, 3, 4]);
  assert(tied > 0.8 && tied < 1, String(tied));
  // Weights repeat rows: a weighted sample equals the rows written out that many times.
  assertEquals(
    spearman([1, 2, 3, 4], [3, 1, 2, 5], Uint32Array.from([2, 0, 3, 1])),
    spearman([1, 1, 3, 3, 3, 4], [3, 3, 2, 2, 2, 5]),
  );
  assert(
    spearman([1, 2, 3, 4], [3, 1, 2, 5], Uint32Array.from([2, 0, 3, 1])) !==
      spearman([1, 2, 3, 4], [3, 1, 2, 5]),
    "the weights change the result",
  );
});
