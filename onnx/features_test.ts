import { assertEquals } from "../tests/assert.ts";
import { brightestChannel } from "../tests/fixtures/models.ts";
import { FeatureExtractor } from "./features.ts";

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
