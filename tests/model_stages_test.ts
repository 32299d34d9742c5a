/**
 * classify and the M1 page, end to end on the smoke world with a hand-built
 * classifier; and the errors a user gets for a bad model file.
 */
import { type Outcome, OUTCOMES } from "../reports/verdict.ts";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { catalogRows, executedNodes, runCli, scratchDir } from "./helpers.ts";
import { tinyClassifier, tinyGenerator, tinySegmenter } from "./fixtures/models.ts";
import { queryRows, sqlString } from "../engine/duck.ts";

async function configWith(
  dir: string,
  classifier: string,
  more: { segmenter?: string; generator?: string } = {},
): Promise<string> {
  const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
  const path = join(dir, "config.json");
  // The tiny models have one layer each worth dissecting.
  const models: Record<string, { path: string; layers?: string[] }> = {
    classifier: { path: classifier, layers: ["conv1_1"] },
  };
  if (more.segmenter) models.segmenter = { path: more.segmenter };
  if (more.generator) models.generator = { path: more.generator, layers: ["layer1"] };
  // The tiny classifier's only hidden layer is its pooled colors, named conv1_1.
  const gan = { ...smoke.gan, featureLayer: "conv1_1" };
  const units = { layer: "conv1_1", concept: "tree" };
  // The tiny segmenter sees trees (green) but no doors or windows: edit with trees.
  const stages = more.generator && more.segmenter
    ? {
      "door-insertion": { concept: "tree", head: "object" },
      "gan-unit-classifier": { concept: "tree", head: "object" },
    }
    : {};
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      ...smoke,
      gan: { ...gan, editLayer: "layer1", doorSamples: 3 },
      models,
      units,
      stages: { ...smoke.stages, ...stages },
    }),
  );
  return path;
}

Deno.test("the zoo's stages measure the models; M1, M2 and the generator page show them", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const model = join(dir, "classifier.onnx");
  await Deno.writeFile(model, tinyClassifier());
  const segmenter = join(dir, "segmenter.onnx");
  await Deno.writeFile(segmenter, tinySegmenter());
  const generator = join(dir, "generator.onnx");
  await Deno.writeFile(generator, tinyGenerator());
  const store = join(dir, "store");
  const config = await configWith(dir, model, { segmenter, generator });
  const r = await runCli(["reproduce", "--config", config, "--store", store]);
  assertEquals(r.code, 0, r.stderr);
  const claims = await queryRows<{ claim: string; status: string }>(
    `SELECT claim, status FROM read_parquet(${sqlString(join(store, "report", "claims.parquet"))})`,
  );
  // Every implemented claim gets a verdict (the rules themselves are tested on hand-made
  // tables in reports/claims/rules_test.ts): none errs or goes unmeasured.
  for (const id of "M1 M2 C1 C2 C3 C4 C5 C6 C7 C8 C9 C10 C11 C12 C13".split(" ")) {
    const status = claims.find((c) => c.claim === id)!.status;
    assert(OUTCOMES.includes(status as Outcome), `${id}: ${status}`);
  }
  const scores = await catalogRows<{ n: number; ok: boolean }>(
    store,
    `SELECT count(*) AS n, bool_and(iou BETWEEN 0 AND 1 AND intersection <= union_) AS ok
     FROM segment_val__segmenter_scores`,
  );
  assert(scores[0].n > 20 && scores[0].ok, JSON.stringify(scores));
  // The tiny classifier is linear after its color features: C&W must reach every target.
  const attacks = await catalogRows<{ n: number; reached: boolean; units: number }>(
    store,
    `SELECT count(DISTINCT a.image) AS n, bool_and(a.success AND a.predicted_after = a.target) AS reached,
       count(p.unit) / count(DISTINCT a.image) AS units
     FROM cw_attack__attacks a JOIN cw_attack__peaks p USING (image)`,
  );
  assert(attacks[0].n > 0 && attacks[0].reached, JSON.stringify(attacks));
  assertEquals(attacks[0].units, 3, "a peak for each of the 3 units of conv1_1");
  const page = await Deno.readTextFile(join(store, "report", "claims", "M1.html"));
  assertMatch(page, /top-1 accuracy \(val\)/);
  assertMatch(page, /SELECT correct::INT AS x FROM classify_val__predictions/);
  const values = await queryRows<{ label: string; value: string }>(
    `SELECT label, value FROM read_parquet(${
      sqlString(join(store, "report", "claim_values.parquet"))
    })
     WHERE claim = 'M1' AND label = 'images'`,
  );
  assertEquals(values, [{ label: "images", value: "24" }]);

  const gen = await Deno.readTextFile(join(store, "report", "pages", "generator.html"));
  assertMatch(gen, /<img src="gan-grid\.png"/);
  assertMatch(gen, /KID, generated vs real church images/);
  const grid = await Deno.readFile(join(store, "report", "pages", "gan-grid.png"));
  assertEquals([...grid.slice(1, 4)], [80, 78, 71], "a PNG");
  const kid = await catalogRows<{ measure: string; ok: boolean }>(
    store,
    "SELECT measure, lo <= value AND value <= hi AS ok FROM gan_distance__distance ORDER BY measure",
  );
  assertEquals(kid, [{ measure: "kid_a_b", ok: true }, { measure: "kid_b_halves", ok: true }]);

  // New removal sizes for ablate-class rerun it and the report, nothing else.
  const again = await runCli([
    "reproduce",
    "--config",
    config,
    "--store",
    store,
    "--json",
    "--set",
    "ablate-class.sizes=[1]",
  ]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals(executedNodes(again.stdout), ["ablate-class", "report"]);
});

Deno.test("a missing, corrupt or mis-shaped model is an error naming the file and the problem", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const store = join(dir, "store");
  const missing = await runCli([
    "reproduce",
    "--config",
    await configWith(dir, join(dir, "nope.onnx")),
    "--store",
    store,
  ]);
  assertEquals(missing.code, 2);
  assertMatch(missing.stderr, /file not found: .*nope\.onnx/);

  const corrupt = join(dir, "corrupt.onnx");
  await Deno.writeFile(corrupt, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  const bad = await runCli([
    "reproduce",
    "--config",
    await configWith(dir, corrupt),
    "--store",
    store,
  ]);
  // Caught by the layer check before any stage runs: a MODEL error, exit 2.
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /corrupt\.onnx is not a valid ONNX file/);

  const small = join(dir, "small.onnx");
  await Deno.writeFile(small, tinyClassifier(32));
  const shaped = await runCli([
    "reproduce",
    "--config",
    await configWith(dir, small),
    "--store",
    store,
  ]);
  // Caught before any stage runs too: the images are 64 px, the model takes 32.
  assertEquals(shaped.code, 2);
  assertMatch(
    shaped.stderr,
    /world-\w+: images are 64x64 px, but .*small\.onnx takes 32x32; set world\.size to 32/,
  );
  // Nothing of classify was published by the failed runs.
  const published = await Array.fromAsync(Deno.readDir(join(store, "objects")))
    .catch(() => []).then((es) => es.map((e) => e.name));
  assert(!published.includes("classify"), published.join(","));
});
