import { join } from "node:path";
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import {
  ActivationReader,
  type ActivationsMeta,
  joinActivations,
  layerFile,
  writeActivationsMeta,
} from "./activations.ts";

Deno.test("a layer's file name keeps plain names and escapes the rest, so any tensor name can be stored", async () => {
  assertEquals(layerFile("conv5_3"), "conv5_3.f32");
  assertEquals(layerFile("layer4"), "layer4.f32");
  assertEquals(
    layerFile("/features/features.8/Relu_output_0"),
    "%2Ffeatures%2Ffeatures.8%2FRelu_output_0.f32",
  );
  assertEquals(layerFile(".."), "%2E..f32");
  assertEquals(layerFile("a b"), "a%20b.f32");
  const names = ["a/b", "a%2Fb", "a_b", "a.b", "a%b"];
  assertEquals(new Set(names.map(layerFile)).size, names.length);
  // Written and read back under a torch-style name.
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const layer = "/features/features.8/Relu_output_0";
  await Deno.writeFile(
    `${dir}/${layerFile(layer)}`,
    new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer),
  );
  await writeActivationsMeta(dir, { count: 1, layers: [{ layer, units: 1, height: 2, width: 2 }] });
  assertEquals([...new ActivationReader(dir).readLayer(layer, 0, 1)], [1, 2, 3, 4]);
});

Deno.test("activations of consecutive shards join into those of one pass; shards of other layers are refused", async () => {
  const shape = { layer: "/features/conv5_3", units: 2, height: 1, width: 2 };
  const values = Float32Array.from({ length: 5 * 4 }, (_, i) => i * 0.5 - 3);
  await using tmp = await scratchDir();
  const parts: { dir: string; meta: ActivationsMeta }[] = [];
  for (const [start, end] of [[0, 2], [2, 2], [2, 5]]) {
    const dir = await Deno.makeTempDir({ dir: tmp.path });
    const rows = values.slice(start * 4, end * 4);
    await Deno.writeFile(join(dir, layerFile(shape.layer)), new Uint8Array(rows.buffer));
    const meta = { count: end - start, layers: end > start ? [shape] : [] };
    await writeActivationsMeta(dir, meta);
    parts.push({ dir, meta });
  }
  const out = await Deno.makeTempDir({ dir: tmp.path });
  assertEquals(await joinActivations(out, parts), {
    count: 5,
    layers: [shape],
    stored: [shape.layer],
  });
  assertEquals(new ActivationReader(out).readLayer(shape.layer, 0, 5), values);
  const other = { ...parts[2], meta: { count: 3, layers: [{ ...shape, units: 3 }] } };
  await assertRejects(
    () => joinActivations(out, [parts[0], other]),
    (e) => assertEquals(e.message.includes("its layers differ"), true, e.message),
  );
});
