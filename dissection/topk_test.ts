import { assertEquals } from "../tests/assert.ts";
import { TopK } from "./topk.ts";

Deno.test("top images merged shard after shard equal one pass over all images, ties included", () => {
  // Few distinct peaks, so most offers tie: the tie rule (earlier image first) is what is tested.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const units = 6, images = 97, k = 5;
  const peaks = Array.from(
    { length: images },
    () => Array.from({ length: units }, () => Math.floor(random() * 4)),
  );
  const whole = new TopK(units, k);
  for (let i = 0; i < images; i++) for (let u = 0; u < units; u++) whole.offer(u, i, peaks[i][u]);
  for (const cuts of [[0, 97], [0, 1, 50, 97], [0, 10, 20, 30, 40, 60, 96, 97]]) {
    const merged = new TopK(units, k);
    for (let s = 0; s + 1 < cuts.length; s++) {
      const part = new TopK(units, k);
      for (let i = cuts[s]; i < cuts[s + 1]; i++) {
        for (let u = 0; u < units; u++) part.offer(u, i, peaks[i][u]);
      }
      merged.merge(part.best);
    }
    assertEquals(merged.best, whole.best, `cuts ${cuts}`);
  }
});
