import { assertEquals } from "../tests/assert.ts";
import { threadShares } from "./runner.ts";

Deno.test("thread shares: alone, every core; together, an even split; never under one", () => {
  assertEquals(threadShares(2, [], 1), [2]);
  assertEquals(threadShares(2, [], 2), [1, 1]);
  assertEquals(threadShares(8, [], 3), [2, 3, 3]);
  assertEquals(threadShares(8, [4], 2), [2, 2]);
  // Every core taken: a stage that becomes ready still runs, on one thread.
  assertEquals(threadShares(2, [2], 1), [1]);
  assertEquals(threadShares(1, [], 4), [1, 1, 1, 1]);
});
