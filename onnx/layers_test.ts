import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { brightestChannel, tinyGenerator } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import { LatentReader } from "../data/latents.ts";
import { normalLatents } from "../stats/normal.ts";
import { LayerReader } from "./layers.ts";

Deno.test("layers of an image model: fed preprocessed images, read as feature maps", async () => {
  const model = await LayerReader.open("m.onnx", brightestChannel(), ["gap"], 1);
  assert(!model.takesLatents);
  // Three 2x2 images, image i all (10i, 20i, 30i): the layer is each channel's mean.
  const rgb = Uint8Array.from(
    { length: 3 * 4 * 3 },
    (_, j) => (Math.floor(j / 12) * 10) * (1 + (j % 3)),
  );
  const images = {
    meta: { count: 3, height: 2, width: 2 },
    readImages: (s: number, e: number) => rgb.slice(s * 12, e * 12),
  };
  const { count, feed } = model.source({ images: () => images });
  assertEquals(count, 3);
  const [gap] = await model.run(feed(1, 3));
  assertEquals([gap.layer, gap.units, gap.height, gap.width], ["gap", 3, 1, 1]);
  assertEquals([...gap.data].map((v) => +(v * 255).toFixed(3)), [10, 20, 30, 20, 40, 60]);
  await model.release();
});

Deno.test("layers of a generator: fed the latents its samples were made from", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const path = `${dir}/latents.f32`;
  await Deno.writeFile(path, new Uint8Array(normalLatents(1, 0, 5, 16).buffer));
  const model = await LayerReader.open("g.onnx", tinyGenerator(64, 16), ["layer1"], 1);
  assert(model.takesLatents);
  assertEquals(model.latentSize, 16);
  const { count, feed } = model.source({ latents: (size) => new LatentReader(path, size) });
  assertEquals(count, 5);
  const [layer] = await model.run(feed(0, 2));
  assertEquals([layer.units, layer.height, layer.width, layer.data.length], [3, 8, 8, 2 * 3 * 64]);
  await model.release();
});

Deno.test("a layer that is not a feature map is a MODEL error naming it", async () => {
  const model = await LayerReader.open("m.onnx", brightestChannel(), ["logits"], 1);
  const images = { meta: { count: 1, height: 2, width: 2 }, readImages: () => new Uint8Array(12) };
  const { feed } = model.source({ images: () => images });
  await assertRejects(
    () => model.run(feed(0, 1)),
    (e) => assertEquals(e.message, 'm.onnx: layer "logits" is 1x3, not a feature map NxCxHxW'),
  );
  await model.release();
});
