import * as ort from "onnxruntime-node";
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { GraphBuilder } from "../onnx/build.ts";
import { vjpModel } from "../onnx/gradient.ts";
import { marginSeed } from "./carlini_wagner.ts";
import { MARGIN_INPUTS, marginFeeds, marginHead } from "./margin_head.ts";

const K = 5, N = 6, D = 3 * 8 * 8;

Deno.test("margin head: on logits given directly, the gradient is marginSeed's seed", async () => {
  const g = new GraphBuilder();
  g.node("Identity", [g.input("z", ["N", 4])], "logits");
  g.output("logits");
  const v = vjpModel(g.toBytes(), { head: marginHead(4) });
  const session = await ort.InferenceSession.create(v.bytes);
  const logits = Float32Array.of(
    ...[1, 3, 3, 0], // 1 and 2 tie as the strongest other: the first is pushed
    ...[5, 1, 2, 0], // the target leads by 3
    ...[-7, -2, -9, -2.5], // all negative
    ...[0, 1, 0, 0], // c = 0
    ...[2, 2, 1, 0], // the target ties the strongest other: a lead of 0
  );
  const n = 5;
  const targets = [0, 0, 3, 2, 1];
  const c = Float64Array.of(2, 1.5, 0.25, 0, 3);
  for (const confidence of [0, 2.5, 4]) {
    const term = { targets, c, confidence };
    const out = await session.run({
      z: new ort.Tensor("float32", logits, [n, 4]),
      ...marginFeeds(term, n),
    });
    const got = [...(out[v.grad].data as Float32Array)].map((x) => x + 0); // -0 as 0
    assertEquals(
      got,
      [...marginSeed(logits, 4, term)].map((x) => x + 0),
      `confidence ${confidence}`,
    );
  }
});

/** Conv, Relu and Gemm to 5 logits, from a fixed seed. */
function classifier(): Uint8Array {
  const rand = seededRandom(5);
  const w = (n: number, scale: number) => Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const g = new GraphBuilder();
  const x = g.input("image", ["N", 3, 8, 8]);
  const conv = g.node("Conv", [x, g.init("w1", [4, 3, 3, 3], w(108, 0.5))], "conv", {
    pads: [1, 1, 1, 1],
  });
  const flat = g.node("Flatten", [g.node("Relu", [conv])]);
  g.node(
    "Gemm",
    [flat, g.init("w2", [K, 256], w(K * 256, 0.2)), g.init("b2", [K], w(K, 1))],
    "logits",
    {
      transB: 1,
    },
  );
  g.output("logits");
  return g.toBytes();
}

Deno.test("margin head: through a classifier, the same gradient as an explicit seed at the same logits", async () => {
  const bytes = classifier();
  const plain = vjpModel(bytes);
  const headed = vjpModel(bytes, { head: marginHead(K) });
  const [p, h] = await Promise.all(
    [plain, headed].map((v) => ort.InferenceSession.create(v.bytes)),
  );
  const rand = seededRandom(8);
  const image = new ort.Tensor("float32", Float32Array.from({ length: N * D }, rand), [N, 3, 8, 8]);
  const zero = new ort.Tensor("float32", new Float32Array(N * K), [N, K]);
  const logits = (await p.run({ image, [plain.seed]: zero }))[plain.output].data as Float32Array;
  const argmax = (i: number) => {
    let best = 0;
    for (let j = 1; j < K; j++) if (logits[i * K + j] > logits[i * K + best]) best = j;
    return best;
  };
  // Image 0 aims at the class it has already; the others at another one.
  const targets = Array.from(
    { length: N },
    (_, i) => i === 0 ? argmax(0) : (argmax(i) + 1 + i) % K,
  );
  const c = Float64Array.of(1, 2, 0.5, 10, 0, 3);
  for (const confidence of [0, 1e3]) {
    const term = { targets, c, confidence };
    const seed = new ort.Tensor("float32", marginSeed(logits, K, term), [N, K]);
    const want = (await p.run({ image, [plain.seed]: seed }))[plain.grad].data as Float32Array;
    const out = await h.run({ image, ...marginFeeds(term, N) });
    assertEquals([...(out[headed.output].data as Float32Array)], [...logits]);
    const got = out[headed.grad].data as Float32Array;
    let scale = 0, worst = 0;
    for (let k = 0; k < got.length; k++) {
      scale = Math.max(scale, Math.abs(want[k]));
      worst = Math.max(worst, Math.abs(got[k] - want[k]));
    }
    assert(scale > 0, "some image is pushed");
    assert(worst <= 1e-6 * scale, `confidence ${confidence}: differs by ${worst} of ${scale}`);
    const pushed = (i: number) => got.subarray(i * D, (i + 1) * D).some((v) => v !== 0);
    assertEquals(
      pushed(0),
      confidence > 0,
      "the image already at its target moves only under confidence",
    );
    assertEquals(pushed(4), false, "c = 0 gives no gradient");
  }
});

Deno.test("margin seed: +c on the first strongest other class, -c on the target, none once ahead", () => {
  const logits = Float32Array.of(
    ...[1, 3, 3, 0], // tie between 1 and 2: the first is pushed
    ...[5, 1, 2, 0], // target 0 leads by 3
    ...[5, 1, 2, 0], // the same, with a confidence of 4 to reach
  );
  const term = { targets: [0, 0, 0], c: Float64Array.of(2, 2, 2), confidence: 0 };
  assertEquals([...marginSeed(logits, 4, term)], [-2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(
    [...marginSeed(logits, 4, { ...term, confidence: 4 })],
    [-2, 2, 0, 0, -2, 0, 2, 0, -2, 0, 2, 0],
  );
});

Deno.test("margin head: its inputs may not take a name the model already uses", () => {
  const g = new GraphBuilder();
  g.node("Relu", [g.input(MARGIN_INPUTS.c, ["N", 4])], "logits");
  g.output("logits");
  try {
    vjpModel(g.toBytes(), { head: marginHead(4) }, "clash.onnx");
    throw new Error("expected a name clash");
  } catch (e) {
    assertMatch((e as Error).message, /clash\.onnx already has a tensor named "cw:c"/);
  }
});
