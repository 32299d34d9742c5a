import { assert, assertEquals } from "../tests/assert.ts";
import { RunConfig } from "./config.ts";

Deno.test("an image folder's resize must leave room for its center crop", () => {
  const val = (more: Record<string, unknown>) =>
    RunConfig.safeParse({ data: { val: { folder: "images", size: 224, ...more } } });
  assert(val({ resize: 256 }).success);
  assert(val({}).success);
  const bad = val({ resize: 200 });
  assert(!bad.success);
  assertEquals(bad.error!.issues[0].path, ["data", "val", "resize"]);
});

Deno.test("training images must be labeled; a classifier's facts are optional", () => {
  assert(!RunConfig.safeParse({ data: { train: { folder: "t", labels: "none" } } }).success);
  assert(RunConfig.safeParse({ data: { train: { folder: "t", labels: "subfolders" } } }).success);
  const c = RunConfig.parse({
    models: {
      classifier: {
        path: "m.onnx",
        labels: "names.txt",
        preprocess: { mean: [0, 0, 0], std: [1, 1, 1], range: [0, 1] },
      },
    },
  });
  assertEquals(c.models.classifier?.preprocess?.layout, "NCHW");
});

Deno.test("configs/world-v1.json is the first world's run: world v1's defaults and the 200 attacks it ran", async () => {
  const v1 = RunConfig.parse(JSON.parse(await Deno.readTextFile("configs/world-v1.json")));
  const before = RunConfig.parse({
    world: { version: 1 },
    stages: { "cw-attack": { images: 200 } },
  });
  assertEquals(v1.name, "world-v1");
  assertEquals({ ...v1, name: "default" }, before);
  assertEquals([v1.world.size, v1.world.churchSize], [64, 64]);
  assertEquals(v1.models.classifier?.path, "zoo/models/classifier.onnx");
});
