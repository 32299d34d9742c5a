/**
 * Concept sources end to end. The classifier dissected against the world's
 * ground truth (concepts "truth"), then against the Broden export of that
 * same val split (concepts "broden", which supplies the images too): every
 * table of the segmentation, thresholds and IoU, and every file, is the same
 * byte for byte. A broken Broden folder fails its import in one line and
 * publishes nothing; the default run still dissects against the segmenter.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotEquals } from "./assert.ts";
import { reproduceArgs, runCli, tempDir } from "./helpers.ts";
import { queryRows, sqlString } from "../engine/duck.ts";
import type { RunRecord } from "../schemas/manifest.ts";
import { RunConfig } from "../schemas/config.ts";
import buildPipeline from "../pipeline.ts";
import { exportSplit } from "../world/export.ts";
import { exportBroden } from "../data/broden_export.ts";

/** A small run: 24 val images, two classifier layers, no segmenter or generator. */
function smallConfig(name: string, concepts: Record<string, unknown>) {
  return {
    name,
    world: { version: 1, counts: { train: 8, val: 24, objects: 8, church: 8 } },
    models: {
      classifier: { path: "zoo/models/classifier.onnx", layers: ["conv4_3", "conv5_3"] },
      segmenter: null,
      generator: null,
    },
    concepts,
    stages: { "activations-val": { batch: 8 }, "segment-truth-val": { batch: 8 } },
  };
}

async function writeConfig(dir: string, config: unknown): Promise<string> {
  const path = join(dir, `${(config as { name: string }).name}.json`);
  await Deno.writeTextFile(path, JSON.stringify(config));
  return path;
}

/** Each node of a run's record: its stage and key. */
function nodesOf(stdout: string): Map<string, { stage: string; key: string }> {
  const run = JSON.parse(stdout).run as RunRecord;
  return new Map(run.nodes.map((n) => [n.node, n]));
}

const DISSECTION = ["segment-truth-val", "activations-val", "quantile-val", "iou-val"];

Deno.test({
  name:
    "dissecting with the Broden export of the world's val split gives exactly the tables of its ground truth",
  sanitizeResources: false,
  async fn() {
    const dir = await tempDir();
    try {
      const store = join(dir, "store"), broden = join(dir, "broden");
      const truth = await writeConfig(dir, smallConfig("truth", { source: "truth" }));
      const a = await runCli(reproduceArgs(truth, store, "--only", "iou-val", "--json"));
      assertEquals(a.code, 0, a.stderr);

      const exported = await runCli(
        ["export-broden", "--config", truth, "--store", store, "--out", broden, "--json"],
      );
      assertEquals(exported.code, 0, exported.stderr);
      assertEquals(JSON.parse(exported.stdout).count, 24);

      const config = smallConfig("broden", {
        source: "broden",
        directory: broden,
        labels: "scene",
      });
      const b = await runCli(
        [
          "reproduce",
          "--config",
          await writeConfig(dir, config),
          "--store",
          store,
          "--only",
          "iou-val",
          "--json",
        ],
      );
      assertEquals(b.code, 0, b.stderr);

      const [nodesA, nodesB] = [nodesOf(a.stdout), nodesOf(b.stdout)];
      assert(nodesA.has("world-val") && !nodesA.has("broden-val"));
      assert(nodesB.has("broden-val") && !nodesB.has("world-val"), "Broden supplies the images");
      const artifact = (n: { stage: string; key: string }) =>
        join(store, "objects", n.stage, n.key);
      const manifest = async (n: { stage: string; key: string }) =>
        JSON.parse(await Deno.readTextFile(join(artifact(n), "manifest.json")));
      for (const node of DISSECTION) {
        const [x, y] = [nodesA.get(node)!, nodesB.get(node)!];
        assertNotEquals(x.key, y.key, `${node} ran on the Broden import`);
        const [mx, my] = [await manifest(x), await manifest(y)];
        const tables = Object.keys(mx.tables);
        assertEquals(tables, Object.keys(my.tables));
        for (const table of tables) {
          const rows = (n: { stage: string; key: string }) =>
            queryRows(
              `SELECT * FROM read_parquet(${sqlString(join(artifact(n), `${table}.parquet`))})`,
            );
          const [rx, ry] = [await rows(x), await rows(y)];
          assert(rx.length > 0, `${node}.${table} is empty`);
          assertEquals(ry, rx, `${node}.${table}`);
        }
        // The label planes, activations, thresholds and unit pictures too.
        assertEquals(my.files, mx.files, `${node}: its files`);
      }

      // The import's items: the world's classes, no overlaps.
      const items = (n: { stage: string; key: string }) =>
        queryRows<{ label_name: string }>(
          `SELECT * FROM read_parquet(${sqlString(join(artifact(n), "items.parquet"))})`,
        );
      const imported = await items(nodesB.get("broden-val")!);
      assertEquals(
        imported.map((r) => r.label_name),
        (await items(nodesA.get("world-val")!)).map((r) => r.label_name),
      );
      assert(imported.every((r) => Number((r as Record<string, unknown>).overlap_pixels) === 0));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "a broken Broden folder fails its import in one line naming the file, and publishes nothing",
  sanitizeResources: false,
  async fn() {
    const dir = await tempDir();
    try {
      exportSplit("val", 4, 1, 64, join(dir, "split"));
      const broden = join(dir, "broden");
      await exportBroden({ split: join(dir, "split"), out: broden });
      const codes = join(broden, "c_material.csv");
      await Deno.writeTextFile(
        codes,
        (await Deno.readTextFile(codes)).replace(",brick,", ",bricks,"),
      );
      const store = join(dir, "store");
      const config = await writeConfig(
        dir,
        smallConfig("broken", { source: "broden", directory: broden }),
      );
      const r = await runCli(reproduceArgs(config, store, "--only", "iou-val"));
      assertEquals(r.code, 1, r.stderr);
      assertMatch(
        r.stdout + r.stderr,
        /c_material\.csv, line 2: label \d+ is "bricks" here, "brick" in label\.csv/,
      );
      const published = await Array.fromAsync(Deno.readDir(join(store, "objects"))).catch(() => []);
      assert(
        !published.some((e) => e.name === "import-broden"),
        "nothing of the import is published",
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "a Broden scene the classifier does not know is refused before anything runs",
  sanitizeResources: false,
  async fn() {
    const dir = await tempDir();
    try {
      exportSplit("val", 4, 1, 64, join(dir, "split"));
      const broden = join(dir, "broden");
      await exportBroden({ split: join(dir, "split"), out: broden });
      for (const file of ["label.csv", "c_scene.csv"]) {
        const path = join(broden, file);
        await Deno.writeTextFile(
          path,
          (await Deno.readTextFile(path)).replace(",beach,", ",moonbase,"),
        );
      }
      const store = join(dir, "store");
      const config = await writeConfig(
        dir,
        smallConfig("moon", { source: "broden", directory: broden, labels: "scene" }),
      );
      const r = await runCli(reproduceArgs(config, store));
      assertEquals(r.code, 2, r.stderr);
      assertMatch(
        r.stderr,
        /broden-val \(.*broden, its scenes\): .*classifier\.onnx does not know the data set's label\(s\) moonbase/,
      );
      const ran = await Array.fromAsync(Deno.readDir(join(store, "objects"))).catch(() => []);
      assertEquals(ran, [], "nothing ran, not even the import");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("the church split is rendered at world.churchSize, the other splits at world.size", () => {
  const params = (world: unknown, node: string) =>
    buildPipeline(RunConfig.parse({ world })).nodes.get(node)?.params;
  // World v2 (the default): 112 px, churches at its GAN's 64 px.
  assertEquals(params({}, "world-val")?.size, 112);
  assertEquals(params({}, "world-church")?.size, 64);
  // World v1: 64 px, and churches follow the size given.
  assertEquals(params({ version: 1 }, "world-church")?.size, 64);
  assertEquals(params({ version: 1, size: 112 }, "world-church")?.size, 112);
  assertEquals(params({ size: 224, churchSize: 128 }, "world-church")?.size, 128);
  for (const split of ["train", "val", "objects"]) {
    assertEquals(params({ size: 224, churchSize: 128 }, `world-${split}`)?.size, 224, split);
  }
});

Deno.test("the zoo's models follow the world's version; a model the config names or nulls stays so", () => {
  const models = (config: unknown) => RunConfig.parse(config).models;
  assertEquals(models({}).classifier?.path, "zoo/models/v2/classifier.onnx");
  assertEquals(models({}).generator?.path, "zoo/models/v2/gan_church.onnx");
  assertEquals(models({ world: { version: 1 } }).segmenter?.path, "zoo/models/segmenter.onnx");
  const own = models({ models: { classifier: { path: "mine.onnx" }, generator: null } });
  assertEquals(own.classifier?.path, "mine.onnx");
  assertEquals(own.generator, null);
  assertEquals(own.segmenter?.path, "zoo/models/v2/segmenter.onnx");
});

Deno.test("the concept source picks the segmentation the classifier is dissected against", () => {
  const inputs = (config: unknown, node: string) =>
    buildPipeline(RunConfig.parse(config)).nodes.get(node)?.inputs;
  // Default: the segmenter's reading of world-val, as ever.
  const plain = buildPipeline(RunConfig.parse({}));
  assert(!plain.nodes.has("segment-truth-val") && !plain.nodes.has("broden-val"));
  assertEquals(inputs({}, "quantile-val")?.segmentation, "segment-val");
  // Truth: the world's own ground truth, even without a segmenter.
  const truth = { concepts: { source: "truth" }, models: { segmenter: null } };
  assertEquals(inputs(truth, "segment-truth-val"), { data: "world-val" });
  for (const node of ["quantile-val", "iou-val", "quantile-val-control", "iou-val-control"]) {
    assertEquals(inputs(truth, node)?.segmentation, "segment-truth-val", node);
  }
  // Broden: its images are the val data everywhere; a segmenter is scored on them (M2).
  const broden = { concepts: { source: "broden", directory: "b" } };
  const p = buildPipeline(RunConfig.parse(broden));
  assert(!p.nodes.has("world-val"));
  for (const node of ["segment-val", "segment-truth-val", "activations-val"]) {
    assertEquals(p.nodes.get(node)?.inputs.data, "broden-val", node);
  }
  assert(!p.nodes.has("classify-val"), "unclassed Broden images are not classified");
  const scenes = buildPipeline(
    RunConfig.parse({ concepts: { ...broden.concepts, labels: "scene" } }),
  );
  assertEquals(scenes.nodes.get("classify-val")?.inputs.data, "broden-val");
  // A folder of images has no ground truth.
  const bad = RunConfig.safeParse({
    concepts: { source: "truth" },
    data: { val: { folder: "x" } },
  });
  assert(!bad.success);
  assertEquals(bad.error!.issues[0].path, ["concepts", "source"]);
  assert(
    !RunConfig.safeParse({ concepts: { source: "broden" } }).success,
    "broden needs a directory",
  );
});
