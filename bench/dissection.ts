/**
 * Dissection overhead, as the issue defines it: for one conv layer (conv5_3)
 * of the zoo classifier over the val split, bare onnxruntime forward passes
 * against what dissection adds for that layer: the quantile passes, the IoU
 * counting and the top-k images (reading the stored activations and label
 * planes included; tables, catalog and unit pictures not). Thresholds are
 * the paper's: over the activation upsampled to the segmentation's pixels,
 * which is 256 times as many values as the layer's own 4x4 grid. Target: at
 * most 50% of the forward time (25% held when thresholds were over the
 * layer's grid; that definition is timed beside it as a metric). The two are
 * timed alternately in one process, five times (the first dissection round
 * also compiles its code), and compared by their medians.
 *
 * The same stages' wall times as the pipeline runs them (with their tables
 * and pictures) are reported beside it, and the peak memory of the dissection
 * stages is compared at two data set sizes: it must not grow with the number
 * of images.
 */
import * as ort from "onnxruntime-node";
import { type Benchmark, median } from "./harness.ts";
import { type PipelineRun, pipelineRuns } from "./pipeline_run.ts";
import { batches, openDataset } from "../data/open.ts";
import { allCores, createSession, inspectBytes, readModelBytes } from "../onnx/model.ts";
import { exposeOutputs } from "../onnx/surgery.ts";
import { preprocessOf, toTensorData } from "../onnx/preprocess.ts";
import { ActivationReader } from "../dissection/activations.ts";
import { SegmentationReader, vocabularyOf } from "../dissection/segmentation.ts";
import { layerThresholds, type QuantileOver } from "../dissection/quantile.ts";
import { countConcepts } from "../dissection/count_concepts.ts";

const SIZES = [1200, 2400];
const LAYER_NAME = "conv5_3";
const LAYER = ["--only", "iou-val", "--set", `activations-val.layers=["${LAYER_NAME}"]`];
const DISSECTION = ["quantile-val", "iou-val"];
const MODEL = new URL("../zoo/models/classifier.onnx", import.meta.url).pathname;
const ROUNDS = 5;

/** Dissection of one layer (quantile, IoU, top images) against the forward pass that feeds it. */
export const dissection: Benchmark = {
  name: "dissection",
  description: `${LAYER_NAME} over ${
    SIZES.join(" and ")
  } val images: quantile + iou + top-k vs bare forward`,
  async run() {
    const metrics: Record<string, number> = {};
    const memory: number[] = [];
    let kernels = { forward: NaN, dissect: NaN, dissectLayerGrid: NaN };
    for (const images of SIZES) {
      const inspect = async ([all]: PipelineRun[]) => {
        if (images === SIZES.at(-1)) kernels = await kernelSeconds(all.dirs);
      };
      const [all, alone] = await pipelineRuns(
        { name: "bench", world: { version: 1, counts: { val: images } } },
        [LAYER, [...LAYER, ...DISSECTION.flatMap((s) => ["--force", s])]],
        inspect,
      );
      const stages = DISSECTION.reduce((t, s) => t + alone.seconds[s], 0);
      metrics[`stages_forward_images_per_s_${images}`] = images / all.seconds["activations-val"];
      metrics[`stages_dissection_images_per_s_${images}`] = images / stages;
      metrics[`dissection_peak_mib_${images}`] = alone.peakRssBytes / 2 ** 20;
      memory.push(alone.peakRssBytes);
    }
    const images = SIZES.at(-1)!;
    metrics.forward_images_per_s = images / kernels.forward;
    metrics.dissection_images_per_s = images / kernels.dissect;
    metrics.layer_grid_thresholds_ratio = kernels.dissectLayerGrid / kernels.forward;
    return {
      metrics,
      ratios: [
        {
          name: `dissection / bare forward (${images} images)`,
          value: kernels.dissect / kernels.forward,
          max: 0.5,
        },
        {
          name: `peak memory ${SIZES[1]} / ${SIZES[0]} images`,
          value: memory[1] / memory[0],
          max: 1.1,
        },
      ],
    };
  },
};

/** Medians over alternating rounds of bare forward passes and the dissection kernels. */
async function kernelSeconds(dirs: Record<string, string>) {
  const bytes = exposeOutputs(await readModelBytes(MODEL), [LAYER_NAME], MODEL);
  const info = inspectBytes(MODEL, bytes);
  const input = info.inputs[0].name, pre = preprocessOf(info);
  const session = await createSession(MODEL, bytes, allCores());
  const data = openDataset(dirs["world-val"], "bench val split");
  const { height, width } = data.meta;
  const acts = new ActivationReader(dirs["activations-val"]);
  const forward: number[] = [], dissect: number[] = [], dissectLayerGrid: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      let seconds = 0;
      for (const [start, end] of batches(data.count, 32)) {
        const n = end - start;
        const x = toTensorData(data.readImages(start, end), n, height, width, pre);
        const t0 = performance.now();
        // Fetching only the layer, as the activations stage does.
        await session.run({ [input]: new ort.Tensor("float32", x, [n, 3, height, width]) }, [
          LAYER_NAME,
        ]);
        seconds += (performance.now() - t0) / 1000;
      }
      forward.push(seconds);
      for (const [over, times] of [["upsampled", dissect], ["layer", dissectLayerGrid]] as const) {
        const t0 = performance.now();
        await dissectLayer(acts, dirs["segment-val"], over);
        times.push((performance.now() - t0) / 1000);
      }
    }
  } finally {
    await session.release();
  }
  return {
    forward: median(forward),
    dissect: median(dissect),
    dissectLayerGrid: median(dissectLayerGrid),
  };
}

/** What the quantile and iou stages compute for one layer, without their tables. */
async function dissectLayer(acts: ActivationReader, segmentDir: string, over: QuantileOver) {
  const segmentation = await SegmentationReader.open(segmentDir);
  const { height, width } = segmentation.meta;
  const border = "zeros";
  const thresholds = await layerThresholds(acts, LAYER_NAME, {
    q: 0.01,
    over,
    border,
    height,
    width,
  });
  try {
    await countConcepts({
      border,
      acts,
      segmentation,
      vocab: vocabularyOf(segmentation.meta),
      thresholds: [Float64Array.from(thresholds, (t) => t.threshold)],
      conceptArea: segmentation.meta.conceptPixels!,
      topk: 5,
      batch: 32,
    });
  } finally {
    segmentation.close();
  }
}
