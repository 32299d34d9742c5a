import { assertEquals } from "../tests/assert.ts";
import { ActivationReader, layerFile, writeActivationsMeta } from "./activations.ts";

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
  const dir = await Deno.makeTempDir();
  const layer = "/features/features.8/Relu_output_0";
  await Deno.writeFile(
    `${dir}/${layerFile(layer)}`,
    new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer),
  );
  await writeActivationsMeta(dir, { count: 1, layers: [{ layer, units: 1, height: 2, width: 2 }] });
  assertEquals([...new ActivationReader(dir).read(layer, 0, 1)], [1, 2, 3, 4]);
});
