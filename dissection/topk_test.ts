import { assertEquals, assertThrows } from "../tests/assert.ts";
import { mapsFrom, TopK } from "./topk.ts";

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

Deno.test("kept maps follow their images through offers, evictions, packing and a shard merge", () => {
  const units = 3, images = 20, k = 4, size = 5;
  // Image i's map for unit u: every value i * 10 + u; the peak repeats, so ties happen.
  const mapOf = (i: number, u: number) => new Float32Array(size).fill(i * 10 + u);
  const peak = (i: number, u: number) => (i * 7 + u * 3) % 5;
  const offerAll = (top: TopK, from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const batch = new Float32Array(units * size);
      for (let u = 0; u < units; u++) batch.set(mapOf(i, u), u * size);
      for (let u = 0; u < units; u++) top.offer(u, i, peak(i, u), batch, u * size);
    }
  };
  const whole = new TopK(units, k, size);
  offerAll(whole, 0, images);
  const merged = new TopK(units, k, size);
  for (const [from, to] of [[0, 7], [7, 8], [8, 20]]) {
    const part = new TopK(units, k, size);
    offerAll(part, from, to);
    // As a shard hands them over: lists as JSON, maps packed end to end.
    const best = JSON.parse(JSON.stringify(part.best));
    merged.merge(best, mapsFrom(part.packedMaps(), best, size));
  }
  for (const top of [whole, merged]) {
    top.best.forEach((list, u) => {
      assertEquals(top.maps[u].length, list.length);
      list.forEach((b, j) => assertEquals(top.maps[u][j], mapOf(b.image, u), `unit ${u}`));
    });
  }
  assertEquals(merged.best, whole.best);
  assertThrows(() => mapsFrom(new Float32Array(3), whole.best, size), Error, "expected 60");
  assertThrows(() => new TopK(1, 2, size).offer(0, 0, 1), Error, "without one");
});
