import { assertEquals } from "../tests/assert.ts";
import { batchCount, batches, batchSpan } from "./open.ts";

Deno.test("a shard of batches batches its items exactly as the whole loop does", () => {
  for (const [count, size] of [[24, 8], [25, 8], [7, 3], [1, 32], [12, 5]]) {
    const whole = [...batches(count, size)];
    const n = batchCount(count, size);
    assertEquals(n, whole.length);
    for (const cuts of [[0, n], [0, 1, n], [0, Math.floor(n / 2), n - 1, n]]) {
      const parts = cuts.slice(1).flatMap((end, k) => {
        const { start, end: stop } = batchSpan({ start: cuts[k], end }, size, count);
        return [...batches(stop, size, start)];
      });
      assertEquals(parts, whole, `${count} items in batches of ${size}, cut at ${cuts}`);
    }
  }
});
