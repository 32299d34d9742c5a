/**
 * What ships in zoo/models/: every ONNX beside its model card, all of them
 * together at most 100 MB (issue 21), and the world-v2 classifier in the
 * paper's setting: VGG-16's conv names, 512 units at conv5 on 7x7 maps at
 * 112 px, one output per world-v2 scene class, in the world's order; the world-v2
 * segmenter in v1's concept space at any size; the world-v2 GAN in ProGAN's shape.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../tests/assert.ts";
import { listLayers } from "../onnx/layer_list.ts";
import { scenesOf } from "../world/vocabulary.ts";
import { inspectBytes } from "../onnx/model.ts";
import { VGG16_CONV_LAYERS } from "../schemas/config.ts";

const MODELS = new URL("./models/", import.meta.url).pathname;

/** Every .onnx under zoo/models, relative path and bytes. */
async function shipped(dir = MODELS, prefix = ""): Promise<[string, number][]> {
  const out: [string, number][] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = join(prefix, e.name);
    if (e.isDirectory) out.push(...await shipped(dir, rel));
    else if (e.name.endsWith(".onnx")) out.push([rel, (await Deno.stat(join(dir, rel))).size]);
  }
  return out;
}

Deno.test("every shipped model has its card, and together they take at most 100 MB", async () => {
  const models = await shipped();
  assert(models.length >= 4, `only ${models.map(([p]) => p)}`);
  for (const [path] of models) {
    const card = await Deno.readTextFile(join(MODELS, path.replace(/\.onnx$/, ".md")));
    assert(card.startsWith("# Model card"), `${path}: its card does not start as one`);
  }
  const total = models.reduce((n, [, size]) => n + size, 0);
  assert(total <= 100e6, `the shipped models take ${total} bytes`);
});

Deno.test("the world-v2 classifier has VGG-16's conv layers, 512 units at conv5 on 7x7 maps", async () => {
  const path = join(MODELS, "v2/classifier.onnx");
  const bytes = await Deno.readFile(path);
  const list = await listLayers(path, bytes, 112);
  const dims = Object.fromEntries(list.layers.map((l) => [l.name, l.dims]));
  for (const c of VGG16_CONV_LAYERS) assert(dims[c], `no layer ${c}`);
  for (const c of ["conv5_1", "conv5_2", "conv5_3"]) assertEquals(dims[c], [1, 512, 7, 7]);
  assertEquals(dims["conv1_1"].slice(2), [112, 112]);
  const info = inspectBytes(path, bytes);
  assertEquals(JSON.parse(info.metadata.labels), [...scenesOf(2)]);
  assertEquals(info.outputs.find((o) => o.name === "logits")?.dims.at(-1), scenesOf(2).length);
});

Deno.test("the world-v2 segmenter reads any multiple of 16 px in v1's concept space", async () => {
  const v2 = inspectBytes("v2", await Deno.readFile(join(MODELS, "v2/segmenter.onnx")));
  const v1 = inspectBytes("v1", await Deno.readFile(join(MODELS, "segmenter.onnx")));
  for (const key of ["objects", "parts", "materials", "preprocess"]) {
    assertEquals(JSON.parse(v2.metadata[key]), JSON.parse(v1.metadata[key]), key);
  }
  assertEquals(v2.inputs[0].dims.slice(2).every((d) => typeof d === "string"), true);
  assertEquals(v2.metadata.size_multiple, "16");
});

Deno.test("the world-v2 GAN has ProGAN's layer names, 512 units at layer1 to layer4, layer4 at 8x8, 64-px images", async () => {
  const path = join(MODELS, "v2/gan_church.onnx");
  const list = await listLayers(path, await Deno.readFile(path), 64);
  const dims = Object.fromEntries(list.layers.map((l) => [l.name, l.dims]));
  for (const l of ["layer1", "layer2", "layer3", "layer4"]) assertEquals(dims[l]?.[1], 512, l);
  assertEquals(dims["layer4"].slice(2), [8, 8]);
  assertEquals(dims["layer5"].slice(2), [16, 16]);
  const info = inspectBytes(path, await Deno.readFile(path));
  assertEquals(info.outputs.find((o) => o.name === "image")?.dims.slice(1), [3, 64, 64]);
});
