/**
 * One input-gradient evaluation (the VJP graph: forward and backward) of the
 * zoo classifier against one plain forward pass, on the same batch. The
 * backward pass costs about as much as the forward one, so the target is at
 * most 3x. Medians of alternating runs in one process.
 *
 * Judged with every core, as `deno task bench` runs everything. The same
 * ratio on one thread is reported beside it: that is how `reproduce` runs
 * sessions by default (as many stages at once as there are cores, one thread
 * each), and on a shared machine it varies less, because load on another core
 * stalls the gradient graph's many small parallel operators more than the
 * forward pass's few large ones.
 */
import * as ort from "onnxruntime-node";
import { type Benchmark, timeIt } from "./harness.ts";
import { createSession } from "../onnx/model.ts";
import { vjpModel } from "../onnx/gradient.ts";
import { seededRandom } from "../stats/random.ts";

const BATCH = 32;
const REPEATS = 25;

/** The classifier's input gradient against its forward pass. */
export const gradient: Benchmark = {
  name: "gradient",
  description: `input gradient vs forward pass of the zoo classifier, batch ${BATCH}`,
  async run() {
    const path = new URL("../zoo/models/classifier.onnx", import.meta.url);
    const bytes = await Deno.readFile(path);
    const v = vjpModel(bytes, {}, "classifier.onnx");
    const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
    const pairs = [];
    for (const threads of [cores, 1]) {
      pairs.push({
        forward: await createSession("classifier.onnx", bytes, threads),
        backward: await createSession("classifier.onnx (gradient)", v.bytes, threads),
        forwardTimes: [] as number[],
        gradientTimes: [] as number[],
      });
    }

    const next = seededRandom(1);
    const image = new ort.Tensor(
      "float32",
      Float32Array.from({ length: BATCH * 3 * 64 * 64 }, () => next() * 2 - 1),
      [BATCH, 3, 64, 64],
    );
    const logits = (await pairs[0].forward.run({ [v.input]: image }))[v.output];
    const seed = new ort.Tensor(
      "float32",
      new Float32Array(logits.data.length).fill(1),
      logits.dims,
    );
    // Alternate all four, so that load from elsewhere falls on each alike.
    for (let i = -1; i < REPEATS; i++) {
      for (const p of pairs) {
        const f = await timeIt(() => p.forward.run({ [v.input]: image }), 1);
        const g = await timeIt(() => p.backward.run({ [v.input]: image, [v.seed]: seed }), 1);
        if (i >= 0) p.forwardTimes.push(f), p.gradientTimes.push(g); // the first round warms up
      }
    }
    const [all, one] = pairs.map((p) => ({
      forwardS: median(p.forwardTimes),
      gradientS: median(p.gradientTimes),
    }));
    return {
      metrics: {
        forward_s: all.forwardS,
        gradient_s: all.gradientS,
        threads: cores,
        one_thread_forward_s: one.forwardS,
        one_thread_gradient_s: one.gradientS,
        one_thread_ratio: one.gradientS / one.forwardS,
        batch: BATCH,
      },
      ratios: [{ name: "gradient / forward", value: all.gradientS / all.forwardS, max: 3 }],
    };
  },
};

function median(xs: number[]): number {
  return xs.toSorted((a, b) => a - b)[xs.length >> 1];
}
