/**
 * The paper's scale on this machine: a VGG-16-shaped graph at 224 px (13
 * conv layers at VGG's widths, random seeded weights, torch-style names, a
 * 365-class head) dissected at all 13 layers by the pipeline's own stages,
 * with a disk budget of 1 MB per image, so that the activations (54 MB an
 * image) are not stored and every pass computes them again, as netdissect
 * does. Judged:
 * - the dissection (activations, quantile and iou stages, every pass) over
 *   one bare forward pass computing the 13 layers: at most 3.5 (against a
 *   segmentation at the images' 224 px; at Broden's 112 px reported beside).
 *   Beside it, not judged, the same ratio per added image (the N more images
 *   of the 2N run over a warm session's forward pass of N images): what a
 *   data set of the paper's size pays, without the fixed costs of opening
 *   the model in each stage and drawing the unit pictures;
 * - the bytes it stores per image, unit strips aside (they are per unit, a
 *   fixed cost reported beside): at most 1 MB;
 * - peak memory of the run at 2N images over N: at most 1.1 (nothing grows
 *   with the data set);
 * - a small full run (the smoke world) at the default concurrency over
 *   `--concurrency 1`: at most 1.0;
 * - the input gradient over a forward pass of the same graph: at most 3 (the
 *   zoo classifier's ratio reported beside: its forward pass is tiny).
 */
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { type Benchmark, timeIt } from "./harness.ts";
import { runOnce } from "./pipeline_run.ts";
import { tinySegmenter, vgg16Shaped } from "../tests/fixtures/models.ts";
import { SCENES } from "../world/vocabulary.ts";
import { exposeOutputs } from "../onnx/surgery.ts";
import { allCores, createSession } from "../onnx/model.ts";
import { gradientSeconds } from "./gradient.ts";
import { seededRandom } from "../stats/random.ts";

const N = 16;
const BATCH = 8;
const SIZE = 224;
const MB = 1e6;
const LAYERS = [1, 3, 6, 8, 11, 13, 15, 18, 20, 22, 25, 27, 29].map((i) =>
  `/features/features.${i}/Relu_output_0`
);
const DISSECTION = ["activations-val", "quantile-val", "iou-val"];
const PREPROCESS = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], range: [0, 1] };

/** Every file under `dir` with its size, relative path first. */
async function files(dir: string, prefix = ""): Promise<[string, number][]> {
  const out: [string, number][] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = join(prefix, e.name);
    if (e.isDirectory) out.push(...await files(dir, rel));
    else out.push([rel, (await Deno.stat(join(dir, rel))).size]);
  }
  return out;
}

/**
 * The VGG-shaped dissection of `count` val images on a fresh store, against
 * a segmentation of `seg` px; its stage seconds, bytes and peak memory.
 */
async function dissect(dir: string, count: number, seg = SIZE) {
  const name = `${count}-${seg}`;
  const config = join(dir, `config-${name}.json`);
  const stages: Record<string, Record<string, number>> = Object.fromEntries(
    DISSECTION.map((node) => [node, { batch: BATCH }]),
  );
  stages["segment-val"] = { batch: BATCH, ...(seg !== SIZE && { size: seg }) };
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      name: "real-scale",
      world: { version: 1, size: SIZE, counts: { train: 1, val: count, objects: 1, church: 1 } },
      models: {
        classifier: {
          path: join(dir, "vgg16.onnx"),
          labels: join(dir, "categories.txt"),
          preprocess: PREPROCESS,
          layers: LAYERS,
        },
        segmenter: { path: join(dir, `segmenter-${seg}.onnx`) },
        generator: null,
      },
      activations: { budgetGiB: (count * MB) / 2 ** 30 },
      stages,
    }),
  );
  const run = await runOnce(config, join(dir, `store-${name}`), ["--only", "iou-val"]);
  let bytes = 0, strips = 0;
  for (const node of DISSECTION) {
    for (const [path, size] of await files(run.dirs[node])) {
      if (path.startsWith("units/")) strips += size;
      else bytes += size;
    }
  }
  const seconds = DISSECTION.reduce((t, n) => t + run.seconds[n], 0);
  return { seconds, bytes, strips, peak: run.peakRssBytes, stages: run.seconds };
}

/**
 * Median seconds of one bare forward pass over `count` images computing all
 * 13 layers; `warm`: after an untimed pass over `warm` images (a session's
 * first batches run up to twice as slow as its later ones).
 */
async function bareForward(bytes: Uint8Array, count: number, warm = 0): Promise<number> {
  const session = await createSession("vgg16", exposeOutputs(bytes, LAYERS, "vgg16"), allCores());
  try {
    const next = seededRandom(3);
    const x = Float32Array.from({ length: BATCH * 3 * SIZE * SIZE }, () => next() * 2 - 1);
    const input = new ort.Tensor("float32", x, [BATCH, 3, SIZE, SIZE]);
    for (let done = 0; done < warm; done += BATCH) await session.run({ input }, LAYERS);
    return await timeIt(async () => {
      for (let done = 0; done < count; done += BATCH) await session.run({ input }, LAYERS);
    }, 3);
  } finally {
    await session.release();
  }
}

/** Wall seconds of a cold smoke run at the default concurrency and at 1. */
async function concurrency(dir: string) {
  const out: Record<string, number> = {};
  for (const name of ["default", "one"] as const) {
    const t0 = performance.now();
    await runOnce("configs/smoke.json", join(dir, `smoke-${name}`), [], {
      concurrency: name === "default" ? null : 1,
    });
    out[name] = (performance.now() - t0) / 1000;
  }
  return out;
}

/** The VGG-16-shaped graph at 224 px through the pipeline, against its own forward pass. */
export const realScale: Benchmark = {
  name: "real-scale",
  description: `VGG-16-shaped graph at ${SIZE} px, all 13 conv layers, ${N} and ${2 * N} images`,
  async run() {
    const dir = await Deno.makeTempDir({ prefix: "dissect-bench-" });
    try {
      const vgg = vgg16Shaped({ size: SIZE });
      await Deno.writeFile(join(dir, "vgg16.onnx"), vgg);
      for (const seg of [SIZE, SIZE / 2]) {
        await Deno.writeFile(join(dir, `segmenter-${seg}.onnx`), tinySegmenter(seg));
      }
      const names = Array.from({ length: 365 }, (_, i) => `/f/filler_${i}`);
      SCENES.forEach((s, k) => (names[7 + 25 * k] = s));
      await Deno.writeTextFile(join(dir, "categories.txt"), names.join("\n") + "\n");

      const small = await dissect(dir, N);
      const large = await dissect(dir, 2 * N);
      // Beside, not judged: against a segmentation at half the side, as netdissect's Broden (112 px).
      const half = await dissect(dir, N, SIZE / 2);
      const forward = await bareForward(vgg, N);
      // A warm session's pass over N images: what each added image costs at the paper's scale.
      const steady = await bareForward(vgg, N, 8 * N);
      const threads = [allCores()];
      const [grad] = await gradientSeconds(vgg, "vgg16", {
        batch: 2,
        size: SIZE,
        threads,
        repeats: 5,
      });
      const [toy] = await gradientSeconds(
        await Deno.readFile(new URL("../zoo/models/classifier.onnx", import.meta.url)),
        "classifier",
        { batch: 32, size: 64, threads, repeats: 5 },
      );
      const wall = await concurrency(dir);
      const perImage = small.bytes / N;
      return {
        metrics: {
          images: N,
          dissection_s: small.seconds,
          dissection_seg112_s: half.seconds,
          dissection_seg112_over_forward: half.seconds / forward,
          ...Object.fromEntries(DISSECTION.map((n) => [`${n}_s`, small.stages[n]])),
          forward_s: forward,
          dissection_2n_s: large.seconds,
          forward_warm_s: steady,
          // N more images against a warm forward pass over N images.
          added_images_dissection_over_warm_forward: (large.seconds - small.seconds) / steady,
          stored_bytes_per_image: perImage,
          unit_strip_bytes: small.strips,
          peak_rss_n_bytes: small.peak,
          peak_rss_2n_bytes: large.peak,
          smoke_default_concurrency_s: wall.default,
          smoke_concurrency_1_s: wall.one,
          vgg_forward_s: grad.forwardS,
          vgg_gradient_s: grad.gradientS,
          toy_gradient_over_forward: toy.gradientS / toy.forwardS,
        },
        ratios: [
          { name: "dissection / forward (13 layers)", value: small.seconds / forward, max: 3.5 },
          { name: "stored MB per image", value: perImage / MB, max: 1 },
          { name: "peak memory 2N / N", value: large.peak / small.peak, max: 1.1 },
          { name: "default / 1 concurrency", value: wall.default / wall.one, max: 1.0 },
          { name: "VGG gradient / forward", value: grad.gradientS / grad.forwardS, max: 3 },
        ],
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
};
