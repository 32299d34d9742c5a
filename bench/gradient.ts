/**
 * One input-gradient evaluation (the VJP graph: forward and backward) of the
 * zoo classifier against one plain forward pass, on the same batch. The
 * backward pass costs about as much as the forward one, so the target is at
 * most 3x. Medians of alternating runs in one process.
 */
import * as ort from "onnxruntime-node";
import { type Benchmark, timeIt } from "./harness.ts";
import { createSession } from "../onnx/model.ts";
import { vjpModel } from "../onnx/gradient.ts";
import { seededRandom } from "../stats/random.ts";

const BATCH = 32;
const REPEATS = 25;

export const gradient: Benchmark = {
  name: "gradient",
  description: `input gradient vs forward pass of the zoo classifier, batch ${BATCH}`,
  async run() {
    const path = new URL("../zoo/models/classifier.onnx", import.meta.url);
    const bytes = await Deno.readFile(path);
    const v = vjpModel(bytes, {}, "classifier.onnx");
    const forward = await createSession("classifier.onnx", bytes);
    const backward = await createSession("classifier.onnx (gradient)", v.bytes);
    const next = seededRandom(1);
    const image = new ort.Tensor(
      "float32",
      Float32Array.from({ length: BATCH * 3 * 64 * 64 }, () => next() * 2 - 1),
      [BATCH, 3, 64, 64],
    );
    const logits = (await forward.run({ [v.input]: image }))[v.output];
    const seed = new ort.Tensor(
      "float32",
      new Float32Array(logits.data.length).fill(1),
      logits.dims,
    );
    // Alternate the two, so that load from elsewhere falls on both alike.
    const forwardTimes: number[] = [], gradientTimes: number[] = [];
    for (let i = -1; i < REPEATS; i++) {
      const f = await timeIt(() => forward.run({ [v.input]: image }), 1);
      const g = await timeIt(() => backward.run({ [v.input]: image, [v.seed]: seed }), 1);
      if (i >= 0) forwardTimes.push(f), gradientTimes.push(g); // the first round warms up
    }
    const forwardS = median(forwardTimes), gradientS = median(gradientTimes);
    return {
      metrics: { forward_s: forwardS, gradient_s: gradientS, batch: BATCH },
      ratios: [{ name: "gradient / forward", value: gradientS / forwardS, max: 3 }],
    };
  },
};

function median(xs: number[]): number {
  return xs.toSorted((a, b) => a - b)[xs.length >> 1];
}
