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
import { type Benchmark, median, timeIt } from "./harness.ts";
import { createSession } from "../onnx/model.ts";
import { vjpModel } from "../onnx/gradient.ts";
import { seededRandom } from "../stats/random.ts";

const BATCH = 32;
const REPEATS = 25;

/**
 * Median seconds of a forward pass and of an input gradient of a classifier
 * on one seeded batch of `batch` images of `size` px, for each thread count;
 * all sessions are timed in turn, round after round, so that load from
 * elsewhere falls on each alike (the first round warms up).
 */
export async function gradientSeconds(
  bytes: Uint8Array,
  name: string,
  opts: { batch: number; size: number; threads: number[]; repeats: number },
): Promise<{ threads: number; forwardS: number; gradientS: number }[]> {
  const v = vjpModel(bytes, {}, name);
  const pairs: {
    threads: number;
    forward: ort.InferenceSession;
    backward: ort.InferenceSession;
    forwardTimes: number[];
    gradientTimes: number[];
  }[] = [];
  for (const threads of opts.threads) {
    pairs.push({
      threads,
      forward: await createSession(name, bytes, threads),
      backward: await createSession(`${name} (gradient)`, v.bytes, threads),
      forwardTimes: [],
      gradientTimes: [],
    });
  }
  try {
    const next = seededRandom(1);
    const { batch, size } = opts;
    const image = new ort.Tensor(
      "float32",
      Float32Array.from({ length: batch * 3 * size * size }, () => next() * 2 - 1),
      [batch, 3, size, size],
    );
    const logits = (await pairs[0].forward.run({ [v.input]: image }))[v.output];
    const seed = new ort.Tensor(
      "float32",
      new Float32Array(logits.data.length).fill(1),
      logits.dims,
    );
    for (let i = -1; i < opts.repeats; i++) {
      for (const p of pairs) {
        const f = await timeIt(() => p.forward.run({ [v.input]: image }), 1);
        const g = await timeIt(() => p.backward.run({ [v.input]: image, [v.seed]: seed }), 1);
        if (i >= 0) p.forwardTimes.push(f), p.gradientTimes.push(g);
      }
    }
    return pairs.map((p) => ({
      threads: p.threads,
      forwardS: median(p.forwardTimes),
      gradientS: median(p.gradientTimes),
    }));
  } finally {
    for (const p of pairs) {
      await p.forward.release();
      await p.backward.release();
    }
  }
}

/** The classifier's input gradient against its forward pass. */
export const gradient: Benchmark = {
  name: "gradient",
  description: `input gradient vs forward pass of the zoo classifier, batch ${BATCH}`,
  async run() {
    const bytes = await Deno.readFile(new URL("../zoo/models/classifier.onnx", import.meta.url));
    const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
    const [all, one] = await gradientSeconds(bytes, "classifier.onnx", {
      batch: BATCH,
      size: 64,
      threads: [cores, 1],
      repeats: REPEATS,
    });
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
