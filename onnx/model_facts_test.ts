import { assertEquals, assertRejects } from "../tests/assert.ts";
import { TINY_PREPROCESS, tinyClassifier } from "../tests/fixtures/models.ts";
import { SCENES } from "../world/vocabulary.ts";
import { inspectBytes } from "./model.ts";
import { labelsOf, preprocessOf } from "./preprocess.ts";
import { labelsForModel, withFacts } from "./model_facts.ts";
import { scratchDir } from "../tests/helpers.ts";
import { join } from "node:path";

Deno.test("facts from the config become the model's metadata; a model without facts is left as is", () => {
  const bare = tinyClassifier(64, { metadata: false });
  assertEquals(withFacts(bare, {}), bare);
  const info = inspectBytes("m.onnx", bare);
  assertEquals(labelsOf(info), null);
  const given = inspectBytes(
    "m.onnx",
    withFacts(bare, { labels: SCENES, preprocess: TINY_PREPROCESS }),
  );
  assertEquals(labelsOf(given), [...SCENES]);
  assertEquals(preprocessOf(given), TINY_PREPROCESS);
  // The config's facts win over the model's own.
  const other = inspectBytes(
    "m.onnx",
    withFacts(tinyClassifier(), { labels: SCENES.toReversed() }),
  );
  assertEquals(labelsOf(other), SCENES.toReversed());
});

Deno.test("a labels file must name one class per model output, in Places365's format too", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const model = inspectBytes("m.onnx", tinyClassifier(64, { metadata: false }));
  const places = join(dir, "categories.txt");
  // Places365's categories file: "/first-letter/name index", in any order.
  await Deno.writeTextFile(
    places,
    SCENES.map((s, i) => `/${s[0]}/${s} ${i}`).toReversed().join("\n") + "\n",
  );
  assertEquals(
    await labelsForModel(places, model, "models.classifier.labels"),
    SCENES.map((s) => `/${s[0]}/${s}`),
  );
  const short = join(dir, "short.txt");
  await Deno.writeTextFile(short, SCENES.slice(0, 5).join("\n"));
  await assertRejects(
    () => labelsForModel(short, model, "models.classifier.labels"),
    (e) =>
      assertEquals(
        e.message,
        `models.classifier.labels (${short}) names 5 classes, but m.onnx outputs ${SCENES.length} ` +
          'values per image ("logits")',
      ),
  );
});
