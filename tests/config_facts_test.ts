/**
 * A classifier exported without metadata (as torch exports are) gets its
 * class names and preprocessing from the run config, and classifies exactly
 * as the same network carrying them in its metadata; a labels file that does
 * not fit the model is named before anything runs.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { catalogRows, runCli, type ScratchDir, scratchDir } from "./helpers.ts";
import { TINY_PREPROCESS, tinyClassifier } from "./fixtures/models.ts";
import { SCENES } from "../world/vocabulary.ts";

const WORLD = { version: 1, counts: { train: 24, val: 24, objects: 12, church: 12 } };

/** The tiny classifier with and without its metadata, `labels` and configs of it, in `tmp`. */
async function setUp(tmp: ScratchDir, labels: readonly string[]) {
  const dir = await tmp.subdir();
  const bare = join(dir, "bare.onnx"), annotated = join(dir, "annotated.onnx");
  await Deno.writeFile(bare, tinyClassifier(64, { metadata: false }));
  await Deno.writeFile(annotated, tinyClassifier());
  const labelsFile = join(dir, "labels.txt");
  await Deno.writeTextFile(labelsFile, labels.join("\n") + "\n");
  const config = async (name: string, classifier: Record<string, unknown>) => {
    const path = join(dir, `${name}.json`);
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        name,
        world: WORLD,
        models: {
          classifier: { ...classifier, layers: ["conv1_1"] },
          segmenter: null,
          generator: null,
        },
      }),
    );
    return path;
  };
  return {
    dir,
    facts: await config("facts", { path: bare, labels: labelsFile, preprocess: TINY_PREPROCESS }),
    labelsOnly: await config("labels-only", { path: bare, labels: labelsFile }),
    metadata: await config("metadata", { path: annotated }),
  };
}

Deno.test("labels and preprocessing from the config classify as the model's own metadata does", async () => {
  await using tmp = await scratchDir();
  const { dir, facts, labelsOnly, metadata } = await setUp(tmp, SCENES);
  const predictions = async (config: string, store: string) => {
    const r = await runCli([
      "reproduce",
      "--config",
      config,
      "--store",
      store,
      "--only",
      "classify-val",
    ]);
    assertEquals(r.code, 0, r.stderr);
    return await catalogRows<{ image: number; predicted: number; confidence: number }>(
      store,
      "SELECT image, predicted, confidence FROM classify_val__predictions ORDER BY image",
    );
  };
  const a = await predictions(facts, join(dir, "a")),
    b = await predictions(metadata, join(dir, "b"));
  assert(a.length === 24);
  assertEquals(a, b);
  // The preprocessing is used: without it the same network sees other inputs.
  const plain = await predictions(labelsOnly, join(dir, "c"));
  assert(plain.some((p, i) => p.confidence !== a[i].confidence));
});

Deno.test("a labels file that does not fit the model is named before anything runs", async () => {
  await using tmp = await scratchDir();
  const { dir, facts } = await setUp(tmp, SCENES.slice(0, 10));
  const store = join(dir, "store");
  const r = await runCli(["reproduce", "--config", facts, "--store", store]);
  assertEquals(r.code, 2, r.stderr);
  assertMatch(
    r.stderr,
    new RegExp(
      `^error\\[CONFIG\\]: models\\.classifier\\.labels \\(.*labels\\.txt\\) names 10 classes, but ` +
        `.*bare\\.onnx outputs ${SCENES.length} values per image`,
      "m",
    ),
  );
  const made = await Array.fromAsync(Deno.readDir(store)).then((es) => es.map((e) => e.name))
    .catch(() => [] as string[]);
  assert(!made.includes("objects"), `nothing ran: ${made}`);
});
