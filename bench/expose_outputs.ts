/**
 * What exposing layers as graph outputs costs (onnxruntime can only fetch
 * graph outputs, so the activations stage exposes the layers it dissects): a
 * VGG-16-shaped chain at 64 px, 50 forward passes of a batch of 4, with its 13
 * ReLU outputs exposed but only the logits fetched, against the model as
 * built. Exposing must not slow the passes that do not fetch the layers.
 */
import * as ort from "onnxruntime-node";
import type { Benchmark } from "./harness.ts";
import { GraphBuilder } from "../onnx/build.ts";
import { allCores, createSession } from "../onnx/model.ts";
import { exposeOutputs, listLayers } from "../onnx/surgery.ts";
import { seededRandom } from "../stats/random.ts";

const STAGES = [[16, 16], [32, 32], [64, 64, 64], [128, 128, 128], [256, 256, 256]];
const SIZE = 64, BATCH = 4, PASSES = 50;

/** Conv -> Relu stages with max pools between, global average pool, one Gemm. */
function vggChain(): Uint8Array {
  const next = seededRandom(1);
  const w = (n: number, fanIn: number) =>
    Array.from({ length: n }, () => (next() * 2 - 1) * Math.sqrt(6 / fanIn));
  const g = new GraphBuilder();
  let x = g.input("image", ["N", 3, SIZE, SIZE]);
  let cin = 3;
  STAGES.forEach((widths, s) => {
    if (s > 0) x = g.node("MaxPool", [x], `pool${s}`, { kernel_shape: [2, 2], strides: [2, 2] });
    widths.forEach((cout, j) => {
      const name = `conv${s + 1}_${j + 1}`;
      const k = g.init(`${name}.w`, [cout, cin, 3, 3], w(cout * cin * 9, cin * 9));
      const b = g.init(`${name}.b`, [cout], w(cout, cin * 9));
      x = g.node("Relu", [g.node("Conv", [x, k, b], `${name}_pre`, { pads: [1, 1, 1, 1] })], name);
      cin = cout;
    });
  });
  const flat = g.node("Flatten", [g.node("GlobalAveragePool", [x], "gap")], "flat");
  const fc = g.init("fc.w", [10, cin], w(10 * cin, cin));
  g.node("Gemm", [flat, fc, g.init("fc.b", [10], w(10, cin))], "logits", { transB: 1 });
  g.output("logits", ["N", 10]);
  return g.toBytes();
}

/** Exposing every ReLU output of a VGG-shaped chain against the chain as built. */
export const exposeOutputsBench: Benchmark = {
  name: "expose-outputs",
  description:
    `VGG-shaped chain at ${SIZE} px: 13 ReLU outputs exposed, logits fetched, vs as built`,
  async run() {
    const bytes = vggChain();
    const relus = listLayers(bytes).filter((l) => l.op === "Relu").map((l) => l.name);
    const exposed = exposeOutputs(bytes, relus);
    const next = seededRandom(7);
    const data = Float32Array.from({ length: BATCH * 3 * SIZE * SIZE }, () => next() * 2 - 1);
    const feeds = { image: new ort.Tensor("float32", data, [BATCH, 3, SIZE, SIZE]) };
    const time = async (model: Uint8Array, fetch?: string[]) => {
      const session = await createSession("expose.onnx", model, allCores());
      const once = () => fetch ? session.run(feeds, fetch) : session.run(feeds);
      for (let i = 0; i < 3; i++) await once();
      const t0 = performance.now();
      for (let i = 0; i < PASSES; i++) await once();
      const seconds = (performance.now() - t0) / 1000;
      await session.release();
      return seconds;
    };
    const base = await time(bytes);
    const all = await time(exposed);
    const logitsOnly = await time(exposed, ["logits"]);
    return {
      metrics: { as_built_s: base, all_exposed_fetched_s: all, exposed_logits_only_s: logitsOnly },
      ratios: [{
        name: "13 ReLU outputs exposed, logits fetched / as built",
        value: logitsOnly / base,
        max: 1.1,
      }],
    };
  },
};
