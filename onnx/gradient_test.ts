import * as ort from "onnxruntime-node";
import { assert, assertEquals, assertMatch, assertNotEquals } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { type Attr, GraphBuilder } from "./build.ts";
import { vjpModel } from "./gradient.ts";
import { decodeModel } from "./proto.ts";
import { directionalCheck, freezePiece } from "./gradient_check.ts";

/** Uniform weights scaled by fan-in, from a fixed seed. */
function weights(seed: number) {
  const next = seededRandom(seed);
  return (dims: number[], fanIn = dims.slice(1).reduce((a, b) => a * b, 1)) =>
    Array.from(
      { length: dims.reduce((a, b) => a * b, 1) },
      () => (next() * 2 - 1) * Math.sqrt(3 / fanIn),
    );
}

/** x [N, 3, 8, 8] -> one op (extra inputs as constants) -> its output. */
function oneOp(
  op: string,
  attrs: Record<string, Attr> = {},
  consts: number[][] = [],
  inputDims: (number | string)[] = ["N", 3, 8, 8],
): Uint8Array {
  const w = weights(7);
  const g = new GraphBuilder();
  const x = g.input("x", inputDims);
  const extra = consts.map((dims, i) => g.init(`c${i}`, dims, w(dims)));
  g.node(op, [x, ...extra], "y", attrs);
  g.output("y");
  return g.toBytes();
}

async function expectExact(bytes: Uint8Array, dims: number[], what: string) {
  const r = await directionalCheck(bytes, dims, { directions: 3, step: 1e-2, seed: 3 });
  assert(r.worst <= 1e-3, `${what}: relative error ${r.worst.toExponential(2)} > 1e-3`);
}

const X = [2, 3, 8, 8];

Deno.test("gradient: linear and piecewise-linear ops match finite differences", async () => {
  const cases: [string, Uint8Array, number[]?][] = [
    ["Identity", oneOp("Identity")],
    ["Dropout (inference)", oneOp("Dropout")],
    ["Relu", oneOp("Relu")],
    ["LeakyRelu", oneOp("LeakyRelu", { alpha: { float: 0.2 } })],
    ["Sigmoid", oneOp("Sigmoid")],
    ["Tanh", oneOp("Tanh")],
    ["Flatten", oneOp("Flatten", { axis: 2 })],
    ["Transpose", oneOp("Transpose", { perm: [0, 2, 3, 1] })],
    ["Conv", oneOp("Conv", { pads: [1, 1, 1, 1] }, [[4, 3, 3, 3], [4]])],
    [
      "Conv strided, dilated, uneven pads",
      oneOp("Conv", { strides: [2, 2], dilations: [2, 1], pads: [2, 1, 0, 1] }, [[5, 3, 3, 2]]),
    ],
    ["Conv grouped", oneOp("Conv", { group: 3, strides: [3, 3] }, [[6, 1, 2, 2]])],
    ["MaxPool", oneOp("MaxPool", { kernel_shape: [2, 2], strides: [2, 2] })],
    [
      "MaxPool, input not a multiple of the window",
      oneOp("MaxPool", { kernel_shape: [2, 2], strides: [2, 2] }, [], ["N", 3, 7, 7]),
      [2, 3, 7, 7],
    ],
    [
      "MaxPool overlapping, padded",
      oneOp("MaxPool", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    ],
    [
      "MaxPool, padding chosen by auto_pad",
      oneOp("MaxPool", { kernel_shape: [3, 3], strides: [2, 2], auto_pad: "SAME_UPPER" }),
    ],
    ["AveragePool", oneOp("AveragePool", { kernel_shape: [2, 2], strides: [2, 2] })],
    [
      "AveragePool padded, padding excluded",
      oneOp("AveragePool", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    ],
    [
      "AveragePool padded, padding counted",
      oneOp("AveragePool", {
        kernel_shape: [3, 2],
        strides: [1, 2],
        pads: [1, 0, 1, 1],
        count_include_pad: 1,
      }),
    ],
    ["GlobalAveragePool", oneOp("GlobalAveragePool")],
    ["Add broadcast", oneOp("Add", {}, [[3, 1, 8]])],
    ["Sub broadcast", oneOp("Sub", {}, [[8]])],
    ["Mul broadcast", oneOp("Mul", {}, [[1, 3, 1, 1]])],
    ["Div", oneOp("Div", {}, [[1]])],
    ["MatMul batched", oneOp("MatMul", {}, [[8, 5]])],
    ["Gemm", oneOp("Gemm", { transB: 1 }, [[4, 6], [4]], ["N", 6]), [3, 6]],
    [
      "Gemm transposed A, alpha, beta",
      oneOp("Gemm", { transA: 1, alpha: { float: 0.5 }, beta: { float: 2 } }, [[3, 4], [1, 4]], [
        3,
        "N",
      ]),
      [3, 5],
    ],
  ];
  for (const [what, bytes, dims] of cases) await expectExact(bytes, dims ?? X, what);
});

Deno.test("gradient: products and sums of the input itself (both operands dynamic)", async () => {
  const g = new GraphBuilder();
  const x = g.input("x", ["N", 3, 8, 8]);
  const s = g.node("Sigmoid", [x]);
  const pooled = g.node("GlobalAveragePool", [x]);
  const gated = g.node("Mul", [x, s]); // x * sigmoid(x)
  const shifted = g.node("Sub", [gated, pooled]); // broadcast over h, w
  const ratio = g.node("Div", [
    shifted,
    g.node("Add", [g.node("Mul", [x, x]), g.init("one", [], [1])]),
  ]);
  g.node("Reshape", [ratio, g.initInt64("shape", [2], [0, -1])], "y");
  g.output("y");
  await expectExact(g.toBytes(), X, "x*sigmoid(x) - mean(x), / (x^2 + 1)");
});

/**
 * A small ResNet: conv-BN-relu, a residual block whose skip connection joins
 * by Add, max and average pooling, then a classifier head through Gemm,
 * LeakyRelu, Dropout and MatMul.
 */
export function tinyResNet(): Uint8Array {
  const w = weights(11);
  const g = new GraphBuilder();
  const x = g.input("image", ["N", 3, 8, 8]);
  const conv = (name: string, input: string, cin: number, cout: number) =>
    g.node("Conv", [input, g.init(`${name}.w`, [cout, cin, 3, 3], w([cout, cin, 3, 3]))], name, {
      pads: [1, 1, 1, 1],
    });
  const bn = (name: string, input: string, c: number) => {
    const pos = (dims: number[]) => w(dims).map((v) => 1 + Math.abs(v));
    return g.node(
      "BatchNormalization",
      [
        input,
        g.init(`${name}.scale`, [c], pos([c])),
        g.init(`${name}.bias`, [c], w([c])),
        g.init(`${name}.mean`, [c], w([c])),
        g.init(`${name}.var`, [c], pos([c])),
      ],
      name,
      { epsilon: { float: 1e-5 } },
    );
  };
  const a = g.node("Relu", [bn("bn1", conv("conv1", x, 3, 6), 6)], "block0");
  const b = g.node("Relu", [bn("bn2", conv("conv2", a, 6, 6), 6)]);
  const sum = g.node("Add", [bn("bn3", conv("conv3", b, 6, 6), 6), a], "skip");
  const block = g.node("Relu", [sum], "block1");
  const pooled = g.node("MaxPool", [block], "pool", {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  const avg = g.node("AveragePool", [pooled], "avg", { kernel_shape: [2, 2], strides: [1, 1] });
  const flat = g.node("Flatten", [g.node("GlobalAveragePool", [avg])], "flat");
  const fc = g.node(
    "Gemm",
    [flat, g.init("fc.w", [8, 6], w([8, 6])), g.init("fc.b", [8], w([8]))],
    "fc",
    {
      transB: 1,
    },
  );
  const act = g.node("Dropout", [g.node("LeakyRelu", [fc], "fc_act", { alpha: { float: 0.1 } })]);
  const logits = g.node("MatMul", [act, g.init("out.w", [8, 5], w([8, 5]))], "mm");
  g.node("Identity", [logits], "logits");
  g.output("logits", ["N", 5]);
  return g.toBytes();
}

Deno.test("gradient: a ResNet-style graph with skip connections and batch normalization", async () => {
  await expectExact(tinyResNet(), X, "tiny ResNet");
});

Deno.test("gradient: the zoo classifier matches finite differences", async () => {
  const bytes = await Deno.readFile(new URL("../zoo/models/classifier.onnx", import.meta.url));
  const dims = [2, 3, 64, 64];
  // Exact: differences on the linear piece the classifier is on at x.
  const piece = await directionalCheck(bytes, dims, {
    directions: 4,
    step: 1e-1,
    seed: 5,
    linearPiece: true,
  });
  assert(
    piece.worst <= 1e-3,
    `on its linear piece: relative error ${piece.worst.toExponential(2)}`,
  );
  // On the classifier itself, kinks and float32 rounding bound what differences can show.
  const raw = await directionalCheck(bytes, dims, { directions: 6, step: 1e-2, seed: 5, patch: 8 });
  const median = raw.errors.toSorted((a, b) => a - b)[3];
  assert(median <= 2e-2, `on the classifier: median relative error ${median.toExponential(2)}`);
});

Deno.test("gradient: a frozen linear piece equals the model where it was taken", async () => {
  const bytes = tinyResNet();
  const x = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i));
  const dims = [2, 3, 8, 8];
  const run = async (b: Uint8Array, input: Float32Array) =>
    Array.from(
      (await (await ort.InferenceSession.create(b)).run({
        image: new ort.Tensor("float32", input, dims),
      })).logits.data as Float32Array,
    );
  const frozen = await freezePiece(bytes, dims, x);
  const [a, b] = [await run(frozen, x), await run(bytes, x)];
  // Equal up to float rounding (onnxruntime fuses the original's Conv, BN and Relu).
  assert(
    a.every((v, i) => Math.abs(v - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i]))),
    `${a} vs ${b}`,
  );
  // Far from x the piece goes on linearly where the model bends.
  const far = x.map((v) => -3 * v);
  assertNotEquals(await run(frozen, far), await run(bytes, far));
});

Deno.test("gradient: an operator without a rule is named with its node", () => {
  const g = new GraphBuilder();
  const x = g.input("x", ["N", 4]);
  g.node("Softmax", [g.node("Relu", [x])], "probs");
  g.output("probs");
  try {
    vjpModel(g.toBytes(), {}, "net.onnx");
    throw new Error("expected an error");
  } catch (e) {
    assertMatch(
      (e as Error).message,
      /net\.onnx: cannot take gradients through Softmax node "Softmax_1"/,
    );
  }
});

Deno.test("gradient: what cannot be differentiated says why", () => {
  const cases: [Uint8Array, RegExp][] = [
    [oneOp("Conv", { auto_pad: "SAME_UPPER" }, [[4, 3, 3, 3]]), /auto_pad SAME_UPPER/],
    [oneOp("MaxPool", { kernel_shape: [2, 2], storage_order: 1 }), /storage_order/],
    [oneOp("AveragePool", { kernel_shape: [2, 2], ceil_mode: 1 }), /ceil_mode/],
  ];
  for (const [bytes, message] of cases) {
    try {
      vjpModel(bytes, {}, "m.onnx");
      throw new Error(`expected ${message}`);
    } catch (e) {
      assertMatch((e as Error).message, message);
    }
  }
  const old = new GraphBuilder();
  old.node("Relu", [old.input("x", [1])], "y");
  old.output("y");
  try {
    vjpModel(old.toBytes({ opset: 11 }), {}, "old.onnx");
    throw new Error("expected an opset error");
  } catch (e) {
    assertMatch((e as Error).message, /old\.onnx uses ONNX opset 11/);
  }
});

Deno.test("gradient: the graph runs on any batch size", async () => {
  const v = vjpModel(tinyResNet());
  const session = await ort.InferenceSession.create(v.bytes);
  for (const n of [1, 5]) {
    const out = await session.run({
      image: new ort.Tensor("float32", new Float32Array(n * 192).fill(0.5), [n, 3, 8, 8]),
      [v.seed]: new ort.Tensor("float32", new Float32Array(n * 5).fill(1), [n, 5]),
    });
    assert(out[v.grad].dims.join() === `${n},3,8,8`, `grad dims ${out[v.grad].dims}`);
  }
});

Deno.test("gradient: a Relu passes the whole gradient for any positive output, however small", async () => {
  const g = new GraphBuilder();
  g.node("Relu", [g.input("x", [1, 8])], "y");
  g.output("y");
  const v = vjpModel(g.toBytes());
  const session = await ort.InferenceSession.create(v.bytes);
  const x = [-1, 0, 1e-38, 3e-39, 1e-30, 0.5, 7, 1e30];
  const seed = [1, 2, 3, 4, 5, 6, 7, 8];
  const out = await session.run({
    [v.input]: new ort.Tensor("float32", Float32Array.from(x), [1, 8]),
    [v.seed]: new ort.Tensor("float32", Float32Array.from(seed), [1, 8]),
  });
  // Zero where the output is zero, the seed unchanged everywhere else.
  assertEquals([...(out[v.grad].data as Float32Array)], [0, 0, 3, 4, 5, 6, 7, 8]);
});

/**
 * A MaxPool 2x2 / 2 over the 4x4 map TIED, declared with `dims`, seeds 1 to 4
 * on its four windows: checks which route the gradient takes (indices or
 * comparison) and the gradient, row by row.
 */
async function expectPoolGradient(
  dims: (number | string)[],
  byIndices: boolean,
  rows: number[][],
) {
  const g = new GraphBuilder();
  g.node("MaxPool", [g.input("x", dims)], "y", { kernel_shape: [2, 2], strides: [2, 2] });
  g.output("y");
  const v = vjpModel(g.toBytes());
  const ops = decodeModel(v.bytes).graph!.node!.map((n) => n.opType);
  assertEquals(ops.includes("MaxUnpool"), byIndices, `routed by indices: ${byIndices}`);
  const session = await ort.InferenceSession.create(v.bytes);
  const out = await session.run({
    [v.input]: new ort.Tensor("float32", Float32Array.from(TIED), [1, 1, 4, 4]),
    [v.seed]: new ort.Tensor("float32", Float32Array.of(1, 2, 3, 4), [1, 1, 2, 2]),
  });
  assertEquals([...(out[v.grad].data as Float32Array)], rows.flat());
}

// Windows: 5 alone; 7 twice; four zeros (one of them -0); -1 twice.
const TIED = [
  [5, 1, 2, 7],
  [1, 0, 7, 3],
  [0, -0, -1, -2],
  [0, 0, -2, -1],
].flat();

Deno.test("gradient: MaxPool windows that tile the input share the gradient among tied maxima", async () => {
  await expectPoolGradient(["N", 1, 4, 4], false, [
    [1, 0, 0, 1],
    [0, 0, 1, 0],
    [0.75, 0.75, 2, 0],
    [0.75, 0.75, 0, 2],
  ]);
});

Deno.test("gradient: MaxPool over an input of unknown size routes by indices, to the first maximum", async () => {
  await expectPoolGradient(["N", 1, "H", "W"], true, [
    [1, 0, 0, 2],
    [0, 0, 0, 0],
    [3, 0, 4, 0],
    [0, 0, 0, 0],
  ]);
});

/** Models whose shapes the op families of DenseNet, GoogLeNet and MobileNet bring. */
function branches(): Uint8Array {
  const w = weights(13);
  const g = new GraphBuilder();
  const x = g.input("x", ["N", 3, 8, 8]);
  const conv = (name: string, input: string, cin: number, cout: number) =>
    g.node("Conv", [input, g.init(`${name}.w`, [cout, cin, 1, 1], w([cout, cin, 1, 1]))], name);
  // DenseNet: each layer's output joins its input along the channels.
  const a = conv("a", x, 3, 4);
  const dense = g.node("Concat", [x, a], "dense", { axis: 1 });
  // MobileNet's ReLU6, with bounds as inputs (opset 11 on).
  const six = g.node("Clip", [dense, g.init("lo", [], [0]), g.init("hi", [], [0.3])], "relu6");
  // A branch split off and one piece used twice, one not at all.
  g.node("Split", [six, g.initInt64("split", [3], [2, 3, 2])], ["p0", "p1", "p2"], { axis: 1 });
  const [p0, p1] = ["p0", "p1"];
  const joined = g.node("Concat", [p1, p0, p1], "joined", { axis: -3 });
  // A crop by Slice (negative start, end past the size) and a zero pad.
  const cropped = g.node("Slice", [
    joined,
    g.initInt64("starts", [2], [1, -7]),
    g.initInt64("ends", [2], [7, 1000]),
    g.initInt64("axes", [2], [2, -1]),
    g.initInt64("steps", [2], [1, 1]),
  ], "crop");
  g.node("Pad", [cropped, g.initInt64("pads", [8], [0, 0, 2, 0, 0, 1, 0, 3])], "y");
  g.output("y");
  return g.toBytes();
}

Deno.test("gradient: Concat, Split, Clip, Slice and Pad match finite differences", async () => {
  await expectExact(branches(), X, "concat, split, clip, slice, pad");
  // On the linear piece around x (Clip frozen to its pattern), differences are exact.
  const piece = await directionalCheck(branches(), X, {
    directions: 3,
    step: 1e-1,
    seed: 4,
    linearPiece: true,
  });
  assert(piece.worst <= 1e-4, `on the linear piece: ${piece.worst.toExponential(2)}`);
});

Deno.test("gradient: a Slice with steps other than 1 or reflect padding is named, not guessed", async () => {
  const g = new GraphBuilder();
  const x = g.input("x", ["N", 3, 8, 8]);
  g.node("Slice", [
    x,
    g.initInt64("s", [1], [0]),
    g.initInt64("e", [1], [8]),
    g.initInt64("a", [1], [2]),
    g.initInt64("st", [1], [2]),
  ], "y");
  g.output("y");
  const err = await directionalCheck(g.toBytes(), X, { directions: 1, step: 1e-2, seed: 1 })
    .then(() => null, (e: Error) => e);
  assertMatch(String(err?.message), /Slice node .*only constant steps of 1/);
});
