import { assertEquals } from "../tests/assert.ts";
import { brightestChannel } from "../tests/fixtures/models.ts";
import { FeatureExtractor } from "./features.ts";
import { scaleRgb } from "../data/image.ts";
import { seededRandom } from "../stats/random.ts";

Deno.test("features: one row per image, batch after batch, the layer's values as the model computes them", async () => {
  // Layer "gap" of the fixture is each channel's mean: image i is all (10i, 20i, 30i).
  const count = 5, px = 4;
  const rgb = new Uint8Array(count * px * 3);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < px; p++) rgb.set([10 * i, 20 * i, 30 * i], (i * px + p) * 3);
  }
  const data = {
    meta: { count, height: 2, width: 2 },
    readImages: (start: number, end: number) => rgb.slice(start * px * 3, end * px * 3),
  };
  const model = await FeatureExtractor.open("m.onnx", brightestChannel(), "gap", 1);
  const ticks: number[] = [];
  const f = await model.embed(data, 2, (n) => ticks.push(n));
  await model.release();
  assertEquals([f.n, f.d, ticks], [5, 3, [2, 2, 1]]);
  for (let i = 0; i < count; i++) {
    const row = [...f.data.subarray(i * 3, i * 3 + 3)].map((v) => +v.toFixed(5));
    assertEquals(row, [10 * i, 20 * i, 30 * i].map((v) => +(v / 255).toFixed(5)));
  }
});

Deno.test("features: square images of another size than the network's input are scaled to it", async () => {
  const next = seededRandom(3);
  const count = 3, side = 6;
  const rgb = Uint8Array.from({ length: count * side * side * 3 }, () => Math.floor(next() * 256));
  const set = (bytes: Uint8Array, s: number) => ({
    meta: { count, height: s, width: s },
    readImages: (a: number, b: number) => bytes.slice(a * s * s * 3, b * s * s * 3),
  });
  const model = await FeatureExtractor.open("m.onnx", brightestChannel(), "gap", 1);
  try {
    const big = await model.embed(set(rgb, side), 2);
    const scaled = await model.embed(set(scaleRgb(rgb, count, side, 2), 2), 2);
    assertEquals(big, scaled);
  } finally {
    await model.release();
  }
});
