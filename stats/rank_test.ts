import { assert, assertEquals } from "../tests/assert.ts";
import { spearman } from "./rank.ts";

Deno.test("Spearman correlation: monotone, reversed, ties, and weights", () => {
  assertEquals(spearman([1, 2, 3, 4], [10, 20, 30, 400]), 1);
  assertEquals(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  const tied = spearman([1, 1, 2, 2], [1, 2, 3, 4]);
  assert(tied > 0.8 && tied < 1, String(tied));
  assertEquals(
    spearman([1, 2, 3], [3, 1, 2], Uint32Array.from([1, 1, 1])),
    spearman([1, 2, 3], [3, 1, 2]),
  );
});
