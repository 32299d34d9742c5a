/**
 * A user's model at the paper's shape: VGG-16- and ResNet-18-shaped
 * classifiers as torch.onnx.export writes them (224 px, torch tensor names
 * with "/", a 365-class head, no metadata), with their class names in
 * Places365's format and their preprocessing given by the config, go
 * through every classifier stage on the world's images. The world's 14
 * scenes are 14 of the 365 classes, spread among the others: every result is
 * in the model's class space, matched by name.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { catalogRows, runCli, scratchDir } from "./helpers.ts";
import { resnet18Shaped, tinySegmenter, vgg16Shaped } from "./fixtures/models.ts";
import { SCENES } from "../world/vocabulary.ts";

const relu = (i: number) => `/features/features.${i}/Relu_output_0`;
const block = (stage: number, inside = false) =>
  `/layer${stage}/layer${stage}.1/${inside ? "relu" : "relu_1"}/Relu_output_0`;
/** Where scene k sits among the model's 365 classes. */
const at = (k: number) => 7 + 25 * k;

const MODELS = [
  {
    name: "VGG-16",
    bytes: vgg16Shaped,
    layers: [relu(22), relu(29)],
    unitLayer: relu(29),
    shapes: [{ units: 512, height: 28 }, { units: 512, height: 14 }],
  },
  {
    // Units ranked inside the last block: the tail carries the skip connection around them.
    name: "ResNet-18",
    bytes: resnet18Shaped,
    layers: [block(3), block(4, true)],
    unitLayer: block(4, true),
    shapes: [{ units: 256, height: 14 }, { units: 512, height: 7 }],
  },
];

for (const m of MODELS) {
  Deno.test(`a ${m.name}-shaped torch export with 365 classes goes through every classifier stage`, async () => {
    await using tmp = await scratchDir();
    const dir = await tmp.subdir();
    await Deno.writeFile(join(dir, "model.onnx"), m.bytes());
    await Deno.writeFile(join(dir, "segmenter.onnx"), tinySegmenter(224));
    const names = Array.from({ length: 365 }, (_, i) => `/f/filler_${i}`);
    SCENES.forEach((s, k) => (names[at(k)] = s));
    // Places365's categories file: "name index" lines, here in reverse order.
    await Deno.writeTextFile(
      join(dir, "categories.txt"),
      names.map((n, i) => `${n} ${i}`).toReversed().join("\n") + "\n",
    );
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        name: "vgg-shaped",
        world: { version: 1, size: 224, counts: { train: 28, val: 14, objects: 6, church: 4 } },
        models: {
          classifier: {
            path: join(dir, "model.onnx"),
            labels: join(dir, "categories.txt"),
            preprocess: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], range: [0, 1] },
            layers: m.layers,
          },
          segmenter: { path: join(dir, "segmenter.onnx") },
          generator: null,
        },
        units: { layer: m.unitLayer, concept: "tree" },
        stages: {
          "cw-attack": { images: 2, steps: 3, searchSteps: 1 },
          "ablate-class": { sizes: [1, 5] },
        },
      }),
    );
    const store = join(dir, "store");
    const r = await runCli(["reproduce", "--config", config, "--store", store]);
    // A network with random weights gets no image right: the attack says so, nothing silent.
    assertEquals(r.code, 1, r.stderr);
    assertMatch(
      r.stderr,
      /FAILED cw-attack: error\[DATA\]: cw-attack: the classifier gets no held-out image right/,
    );
    const rows = <T>(sql: string) => catalogRows<T>(store, sql);
    assertEquals(await rows("SELECT count(*)::INT AS n FROM classify_val__classes"), [{ n: 365 }]);
    // True labels are the scenes' places among the 365.
    const labels = await rows<{ label: number }>(
      "SELECT DISTINCT label FROM classify_val__predictions ORDER BY label",
    );
    assertEquals(labels.map((l) => l.label), SCENES.map((_, k) => at(k)));
    const ranked = await rows<{ layer: string; label: number; units: number }>(
      `SELECT layer, label, count(DISTINCT unit)::INT AS units FROM rank_units__importance
     GROUP BY ALL ORDER BY label`,
    );
    assertEquals(ranked.map((r) => r.label), SCENES.map((_, k) => at(k)));
    assert(
      ranked.every((r) => r.layer === m.unitLayer && r.units === 512),
      JSON.stringify(ranked[0]),
    );
    const settings = await rows<{ classes: number; k1: boolean; k5: boolean }>(
      `SELECT count(DISTINCT label) FILTER (WHERE label >= 0)::INT AS classes,
       bool_or(k = 1) AS k1, bool_or(k = 5) AS k5 FROM ablate_class__settings`,
    );
    assertEquals(settings, [{ classes: SCENES.length, k1: true, k5: true }]);
    const dissected = await rows<{ layer: string; units: number; height: number }>(
      "SELECT layer, units, height FROM activations_val__layers ORDER BY position",
    );
    assertEquals(dissected, m.layers.map((layer, i) => ({ layer, ...m.shapes[i] })));
    const labeled = await rows<{ n: number }>(
      "SELECT count(*)::INT AS n FROM iou_val__unit_labels",
    );
    assertEquals(labeled, [{ n: m.shapes[0].units + m.shapes[1].units }]);
  });
}
