import { assertEquals } from "../tests/assert.ts";
import { bestThreshold } from "./threshold.ts";

Deno.test("the best cut separates the groups; none without both groups", () => {
  const rows = [
    { present: true, peak: 5 },
    { present: true, peak: 4 },
    { present: false, peak: 3 },
    { present: true, peak: 2.5 },
    { present: false, peak: 1 },
  ];
  assertEquals(bestThreshold(rows), 3.5);
  assertEquals(bestThreshold(rows.filter((r) => r.present)), null);
});
