/**
 * Layer names a config gives are checked against their models before any
 * stage runs: a typo is a MODEL error naming the model and its layers, and
 * nothing is computed or stored.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCli, scratchDir } from "./helpers.ts";
import { cudaInstalled } from "../onnx/providers.ts";

const SMOKE = {
  name: "typo",
  world: { version: 1, counts: { train: 24, val: 24, objects: 12, church: 12 } },
  gan: { samples: 12 },
};

for (
  const [field, config, model, layer] of [
    ["units.layer", { ...SMOKE, units: { layer: "conv9_9" } }, "classifier", "conv9_9"],
    [
      "gan.editLayer",
      { ...SMOKE, gan: { samples: 12, editLayer: "layer99" } },
      "gan_church",
      "layer99",
    ],
    [
      "gan.featureLayer",
      { ...SMOKE, gan: { samples: 12, featureLayer: "fc99" } },
      "classifier",
      "fc99",
    ],
  ] as const
) {
  Deno.test(`a typo in ${field} is named before anything runs`, async () => {
    await using tmp = await scratchDir();
    const dir = await tmp.subdir();
    const path = join(dir, "config.json");
    await Deno.writeTextFile(path, JSON.stringify(config));
    const store = join(dir, "store");
    const r = await runCli(["reproduce", "--config", path, "--store", store]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(
      r.stderr,
      new RegExp(
        `^error\\[MODEL\\]: zoo/models/${model}\\.onnx has no layer named "${layer}"`,
        "m",
      ),
    );
    assertMatch(r.stderr, /hint: layers it has: /);
    const made = await Array.fromAsync(Deno.readDir(store)).then((es) => es.map((e) => e.name));
    assert(!made.includes("objects"), `nothing ran: ${made}`);
  });
}

Deno.test({
  name: "asking for the CUDA provider where it is not installed is one line before anything runs",
  // Meaningful only where onnxruntime-node is the npm package's CPU build.
  ignore: cudaInstalled(),
  async fn() {
    await using tmp = await scratchDir();
    const dir = await tmp.subdir();
    const path = join(dir, "config.json");
    await Deno.writeTextFile(path, JSON.stringify({ ...SMOKE, executionProviders: ["cuda"] }));
    const store = join(dir, "store");
    const r = await runCli(["reproduce", "--config", path, "--store", store]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(
      r.stderr,
      /^error\[CONFIG\]: executionProviders: "cuda" needs onnxruntime-node's CUDA provider/m,
    );
    assertMatch(r.stderr, /hint: .*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    const made = await Array.fromAsync(Deno.readDir(store)).catch(() => []).then((es) =>
      es.map((e) => e.name)
    );
    assert(!made.includes("objects"), `nothing ran: ${made}`);
    await Deno.writeTextFile(path, JSON.stringify({ ...SMOKE, executionProviders: ["tpu"] }));
    const unknown = await runCli(["reproduce", "--config", path, "--store", store]);
    assertEquals(unknown.code, 2, unknown.stderr);
    assertMatch(unknown.stderr, /executionProviders/);
  },
});

Deno.test("images of another size than a fixed-size classifier takes are named before anything runs", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const store = join(dir, "store");
  const cases = [
    // World v2's classifier takes 112 px; a v2 world at 64 px cannot feed it.
    [{ world: { size: 64, counts: SMOKE.world.counts } }, "world.size to 112"],
    // World v1's classifier (64 px) named in a v2 world at its 112 px.
    [
      {
        world: { counts: SMOKE.world.counts },
        models: { classifier: { path: "zoo/models/classifier.onnx" } },
      },
      "world.size to 64",
    ],
    // A size set on the node itself is the size its readers get.
    [
      { world: { counts: SMOKE.world.counts }, stages: { "world-val": { size: 64 } } },
      "stages.world-val.size to 112",
    ],
  ] as const;
  for (const [config, fix] of cases) {
    const path = join(dir, "config.json");
    await Deno.writeTextFile(path, JSON.stringify(config));
    const r = await runCli(["reproduce", "--config", path, "--store", store]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, /^error\[CONFIG\]: world-\w+: images are \d+x\d+ px, but zoo\/models\//m);
    assertMatch(r.stderr, new RegExp(`set ${fix}$`, "m"));
    const made = await Array.fromAsync(Deno.readDir(store)).catch(() => []).then((es) =>
      es.map((e) => e.name)
    );
    assert(!made.includes("objects"), `nothing ran: ${made}`);
  }
  // And a size raised back on every node the classifier reads is accepted.
  const path = join(dir, "config.json");
  await Deno.writeTextFile(path, JSON.stringify(cases[0][0]));
  const sets = ["world-train", "world-val", "world-objects"].flatMap((
    n,
  ) => ["--set", `${n}.size=112`]);
  const fixed = await runCli([
    "reproduce",
    "--config",
    path,
    "--store",
    store,
    "--dry-run",
    ...sets,
  ]);
  assertEquals(fixed.code, 0, fixed.stderr);
});
