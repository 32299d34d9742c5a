import * as ort from "onnxruntime-node";
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { GraphBuilder } from "./build.ts";
import { createSession, inspectBytes } from "./model.ts";
import { decodeModel, dimsOf, encodeModel } from "./proto.ts";
import {
  classMapOf,
  exposeOutputs,
  listLayers,
  selectOutputs,
  splitAt,
  withClassMaps,
} from "./surgery.ts";

// ---------------------------------------------------------------- test models

/** mulberry32: a small seeded generator, so weights and inputs are the same every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform weights scaled by fan-in so activations stay near unit size through the layers. */
function weights(seed: number): (dims: number[], fanIn: number) => number[] {
  const next = rng(seed);
  return (dims, fanIn) => {
    const size = dims.reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, () => (next() * 2 - 1) * Math.sqrt(6 / fanIn));
  };
}

/** Where a test model zeroes one channel by hand: a Mul by a 0/1 mask after `layer`. */
type Mask = { layer: string; channel: number };

function tap(g: GraphBuilder, t: string, channels: number, mask?: Mask): string {
  if (mask?.layer !== t) return t;
  const m = Array.from({ length: channels }, (_, c) => (c === mask.channel ? 0 : 1));
  return g.node("Mul", [t, g.init(`${t}_mask`, [1, channels, 1, 1], m)], `${t}_masked`);
}

/**
 * A VGG-like chain: stages of (Conv -> Relu) separated by MaxPool, then
 * GlobalAveragePool -> Flatten -> Gemm. Relu outputs are named like the zoo's
 * (conv1_1, conv1_2, conv2_1, ...), convs before them conv1_1_pre.
 */
function vgg(
  opts: { stages?: number[][]; size?: number; classes?: number; mask?: Mask } = {},
): Uint8Array {
  const { stages = [[4], [8]], size = 8, classes = 5, mask } = opts;
  const w = weights(1);
  const g = new GraphBuilder();
  let x = g.input("image", ["N", 3, size, size]);
  let cin = 3;
  stages.forEach((widths, s) => {
    if (s > 0) x = g.node("MaxPool", [x], `pool${s}`, { kernel_shape: [2, 2], strides: [2, 2] });
    widths.forEach((cout, j) => {
      const name = `conv${s + 1}_${j + 1}`;
      const k = g.init(`${name}.w`, [cout, cin, 3, 3], w([cout, cin, 3, 3], cin * 9));
      const b = g.init(`${name}.b`, [cout], w([cout], cin * 9));
      const pre = g.node("Conv", [x, k, b], `${name}_pre`, { pads: [1, 1, 1, 1] });
      x = tap(g, g.node("Relu", [pre], name), cout, mask);
      cin = cout;
    });
  });
  const gap = g.node("GlobalAveragePool", [x], "gap");
  const flat = g.node("Flatten", [gap], "flat");
  const fc = g.init("fc.w", [classes, cin], w([classes, cin], cin));
  const fb = g.init("fc.b", [classes], w([classes], cin));
  g.node("Gemm", [flat, fc, fb], "logits", { transB: 1 });
  g.output("logits", ["N", classes]);
  return g.toBytes({ metadata: { labels: JSON.stringify([...Array(classes).keys()]) } });
}

/**
 * A ResNet-style graph: stem, an identity block and a projection block (Add
 * skip connections, BatchNormalization), GlobalAveragePool -> Reshape -> Gemm.
 * Two Constant nodes are shared: `half` by the first and last Mul, `flat_shape`.
 */
function resnet(mask?: Mask): Uint8Array {
  const w = weights(2);
  const next = rng(3);
  const g = new GraphBuilder();
  g.input("image", ["N", 3, 8, 8]);
  const half = g.node("Constant", [], "half", { value_floats: { floats: [0.5] } });
  const shape = g.node("Constant", [], "flat_shape", { value_ints: [0, -1] });
  const convBn = (x: string, name: string, cin: number, cout: number, k: number, stride = 1) => {
    const p = (k - 1) / 2;
    const kw = g.init(`${name}.w`, [cout, cin, k, k], w([cout, cin, k, k], cin * k * k));
    const conv = g.node("Conv", [x, kw], `${name}_conv`, {
      pads: [p, p, p, p],
      strides: [stride, stride],
    });
    const bn = (what: string, f: () => number) =>
      g.init(`${name}.bn.${what}`, [cout], Array.from({ length: cout }, f));
    return g.node("BatchNormalization", [
      conv,
      bn("scale", () => 0.5 + next()),
      bn("bias", () => next() - 0.5),
      bn("mean", () => next() - 0.5),
      bn("var", () => 0.5 + next()),
    ], name);
  };
  const relu = (x: string, name: string, channels: number) =>
    tap(g, g.node("Relu", [x], name), channels, mask);
  const block = (x: string, name: string, cin: number, cout: number, stride: number) => {
    const r1 = relu(convBn(x, `${name}_bn1`, cin, cout, 3, stride), `${name}_relu1`, cout);
    const b2 = convBn(r1, `${name}_bn2`, cout, cout, 3);
    const short = stride === 1 && cin === cout
      ? x
      : convBn(x, `${name}_proj`, cin, cout, 1, stride);
    return relu(g.node("Add", [b2, short], `${name}_add`), name, cout);
  };
  const scaled = g.node("Mul", ["image", half], "scaled");
  const stem = relu(convBn(scaled, "stem_bn", 3, 8, 3), "stem", 8);
  const block2 = block(block(stem, "block1", 8, 8, 1), "block2", 8, 16, 2);
  const gap = g.node("GlobalAveragePool", [g.node("Mul", [block2, half], "block2_half")], "gap");
  const flat = g.node("Reshape", [gap, shape], "flat");
  const fc = g.init("fc.w", [4, 16], w([4, 16], 16));
  g.node("Gemm", [flat, fc, g.init("fc.b", [4], [0.1, 0.2, 0.3, 0.4])], "logits", { transB: 1 });
  g.output("logits", ["N", 4]);
  return g.toBytes({ metadata: { labels: '["a","b","c","d"]' } });
}

// ---------------------------------------------------------------- helpers

type Feeds = Record<string, ort.Tensor>;

async function run(bytes: Uint8Array, feeds: Feeds, fetch?: string[]): Promise<Feeds> {
  const session = await createSession("test.onnx", bytes, 1);
  try {
    const out = await session.run(feeds);
    return fetch ? Object.fromEntries(fetch.map((n) => [n, out[n]])) : out;
  } finally {
    await session.release();
  }
}

function image(batch: number, size: number, seed = 7): Feeds {
  const next = rng(seed);
  const data = Float32Array.from({ length: batch * 3 * size * size }, () => next() * 2 - 1);
  return { image: new ort.Tensor("float32", data, [batch, 3, size, size]) };
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  assertEquals(a.dims, b.dims);
  const x = a.data as Float32Array, y = b.data as Float32Array;
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

/** Head, then (optionally an edit of the layer), then tail: the tail's outputs. */
async function headThenTail(
  bytes: Uint8Array,
  layer: string,
  feeds: Feeds,
  edit?: (t: ort.Tensor) => ort.Tensor,
): Promise<Feeds> {
  const { head, tail, boundary } = splitAt(bytes, layer);
  const mid = await run(head, feeds);
  assertEquals(Object.keys(mid).sort(), [...boundary].sort(), "the head outputs the boundary");
  if (edit) mid[layer] = edit(mid[layer]);
  return run(tail, mid);
}

function zeroChannel(k: number): (t: ort.Tensor) => ort.Tensor {
  return (t) => {
    const [n, c] = t.dims;
    const plane = t.dims.slice(2).reduce((a, b) => a * b, 1);
    const data = Float32Array.from(t.data as Float32Array);
    for (let b = 0; b < n; b++) data.fill(0, (b * c + k) * plane, (b * c + k + 1) * plane);
    return new ort.Tensor("float32", data, t.dims);
  };
}

/** Every initializer is read by some node, and every node's output is read or is an output. */
function assertNoDeadWeight(bytes: Uint8Array, what: string): void {
  const g = decodeModel(bytes).graph!;
  const read = new Set(g.node!.flatMap((n) => n.input ?? []));
  const outputs = new Set(g.output!.map((o) => o.name));
  for (const t of g.initializer ?? []) {
    assert(read.has(t.name!), `${what}: unused initializer ${t.name}`);
  }
  for (const n of g.node!) {
    assert(n.output!.some((o) => read.has(o) || outputs.has(o)), `${what}: dead node ${n.name}`);
  }
}

function errorOf(fn: () => unknown): DissectError {
  try {
    fn();
  } catch (e) {
    assert(e instanceof DissectError, `expected a DissectError, got ${e}`);
    return e;
  }
  throw new Error("expected an error");
}

// ---------------------------------------------------------------- tests

Deno.test("listLayers gives every computed tensor in graph order with its op", () => {
  assertEquals(listLayers(vgg()), [
    { name: "conv1_1_pre", op: "Conv" },
    { name: "conv1_1", op: "Relu" },
    { name: "pool1", op: "MaxPool" },
    { name: "conv2_1_pre", op: "Conv" },
    { name: "conv2_1", op: "Relu" },
    { name: "gap", op: "GlobalAveragePool" },
    { name: "flat", op: "Flatten" },
    { name: "logits", op: "Gemm" },
  ]);
});

Deno.test("exposeOutputs adds intermediate tensors equal to what a head computes", async () => {
  const bytes = vgg();
  const exposed = exposeOutputs(bytes, ["conv1_1", "pool1", "logits", "conv2_1"]);
  const info = inspectBytes("exposed.onnx", exposed);
  assertEquals(info.outputs.map((o) => o.name), ["logits", "conv1_1", "pool1", "conv2_1"]);
  const feeds = image(2, 8);
  const all = await run(exposed, feeds);
  assert(maxAbsDiff(all.logits, (await run(bytes, feeds)).logits) === 0, "logits unchanged");
  for (const layer of ["conv1_1", "pool1", "conv2_1"]) {
    const head = await run(splitAt(bytes, layer).head, feeds);
    assertEquals(maxAbsDiff(all[layer], head[layer]), 0, layer);
  }
  assertEquals(all.conv1_1.dims, [2, 4, 8, 8]);
});

Deno.test("head then tail equals the full model at every cut of a VGG-like chain", async () => {
  const bytes = vgg();
  const feeds = image(3, 8);
  const full = (await run(bytes, feeds)).logits;
  const cuts = listLayers(bytes).map((l) => l.name).filter((n) => n !== "logits");
  assertEquals(cuts.length, 7);
  for (const layer of cuts) {
    assertEquals(splitAt(bytes, layer).boundary, [layer], `a chain cut at ${layer} is one tensor`);
    const out = await headThenTail(bytes, layer, feeds);
    assertEquals(Object.keys(out), ["logits"]);
    assert(maxAbsDiff(out.logits, full) < 1e-5, `cut at ${layer}`);
  }
});

Deno.test("head then tail equals a ResNet-style model, with cuts inside skip connections", async () => {
  const bytes = resnet();
  const feeds = image(2, 8);
  const full = (await run(bytes, feeds)).logits;
  const cuts: Record<string, string[]> = {
    stem: ["stem"],
    block1_relu1: ["block1_relu1", "stem"], // the identity skip jumps over the cut
    block1_bn2: ["block1_bn2", "stem"],
    block1: ["block1"],
    block2_relu1: ["block2_relu1", "block2_proj"], // the projection is computed before the cut
    block2_add: ["block2_add"],
    gap: ["gap"],
  };
  for (const [layer, boundary] of Object.entries(cuts)) {
    assertEquals(splitAt(bytes, layer).boundary, boundary, `boundary of a cut at ${layer}`);
    const out = await headThenTail(bytes, layer, feeds);
    assert(maxAbsDiff(out.logits, full) < 1e-5, `cut at ${layer}`);
  }
  // Constants are copied into the tail, not passed across the cut.
  const { tail } = splitAt(bytes, "stem");
  const ops = decodeModel(tail).graph!.node!.map((n) => n.output![0]);
  assert(ops.includes("half") && ops.includes("flat_shape"), "constants in the tail");
});

Deno.test("zeroing a channel between head and tail equals a mask in the graph", async () => {
  const feeds = image(2, 8, 11);
  const cases: [(m?: Mask) => Uint8Array, string, number][] = [
    [(mask) => vgg({ mask }), "conv1_1", 2],
    [(mask) => vgg({ mask }), "conv2_1", 5],
    [resnet, "block1_relu1", 3], // inside a skip: the skip carries the unedited stem
    [resnet, "block2_relu1", 9],
    [resnet, "stem", 0], // feeds both the block and its skip: both see the edit
  ];
  for (const [build, layer, channel] of cases) {
    const edited = await headThenTail(build(), layer, feeds, zeroChannel(channel));
    const masked = (await run(build({ layer, channel }), feeds)).logits;
    const plain = (await run(build(), feeds)).logits;
    assert(maxAbsDiff(edited.logits, masked) < 1e-5, `zero ${layer}[${channel}]`);
    assert(maxAbsDiff(plain, masked) > 1e-4, `zeroing ${layer}[${channel}] changes the output`);
  }
});

Deno.test("split models keep only what they use, and the model's metadata and opset", () => {
  for (const bytes of [vgg(), resnet()]) {
    const model = decodeModel(bytes);
    for (const { name } of listLayers(bytes).filter((l) => l.name !== "logits")) {
      const { head, tail, boundary } = splitAt(bytes, name);
      assertNoDeadWeight(head, `head of ${name}`);
      assertNoDeadWeight(tail, `tail of ${name}`);
      for (const part of [decodeModel(head), decodeModel(tail)]) {
        assertEquals(part.metadataProps, model.metadataProps);
        assertEquals(part.opsetImport, model.opsetImport);
      }
      const h = inspectBytes("head.onnx", head), t = inspectBytes("tail.onnx", tail);
      assertEquals(h.outputs.map((o) => o.name), boundary);
      assertEquals(t.inputs.map((i) => i.name), boundary);
      assertEquals(t.outputs.map((o) => o.name), ["logits"]);
      // Together the parts hold each weight of the original once (constants may be copied).
      const weights = (b: Uint8Array) => decodeModel(b).graph!.initializer!.map((i) => i.name);
      assertEquals([...weights(head), ...weights(tail)].sort(), weights(bytes).sort());
    }
  }
});

Deno.test("the boundary takes any batch size when the model knows the layer's shape", async () => {
  // Shape inference (as in the zoo's export) leaves value_info; here with a fixed batch of 1.
  const model = decodeModel(vgg());
  model.graph!.valueInfo = [{
    name: "pool1",
    type: {
      tensorType: { elemType: 1, shape: { dim: [1, 4, 4, 4].map((d) => ({ dimValue: d })) } },
    },
  }];
  const { head, tail } = splitAt(encodeModel(model), "pool1");
  assertEquals(dimsOf(decodeModel(head).graph!.output![0]), ["N", 4, 4, 4]);
  assertEquals(dimsOf(decodeModel(tail).graph!.input![0]), ["N", 4, 4, 4]);
  const out = await headThenTail(encodeModel(model), "pool1", image(3, 8));
  assertEquals(out.logits.dims, [3, 5]);
});

Deno.test("a non-float tensor and a graph input crossing the cut keep their types", async () => {
  // y = Reshape(Sigmoid(Relu(x)), Shape(x)) + x: a cut at the Relu passes an int64 shape and x.
  const g = new GraphBuilder();
  g.input("x", ["N", 6]);
  const shape = g.node("Shape", ["x"], "x_shape");
  const r = g.node("Relu", ["x"], "r");
  const y = g.node("Reshape", [g.node("Sigmoid", [r], "s"), shape], "y_pre");
  g.node("Add", [y, "x"], "y");
  g.output("y", ["N", 6]);
  const bytes = g.toBytes();
  const { boundary, tail } = splitAt(bytes, "r");
  assertEquals(boundary, ["r", "x", "x_shape"]);
  assertEquals(decodeModel(tail).graph!.input!.map((i) => i.type?.tensorType?.elemType), [1, 1, 7]);
  const x = new ort.Tensor("float32", Float32Array.from([-2, -1, 0, 1, 2, 3]), [1, 6]);
  const out = await headThenTail(bytes, "r", { x });
  assertEquals(maxAbsDiff(out.y, (await run(bytes, { x })).y), 0);
});

Deno.test("outputs computed before the cut stay out of the tail (zoo models expose layers)", async () => {
  const stages = [[8, 8], [16]];
  const zoo = exposeOutputs(vgg({ stages, size: 16 }), ["conv1_1", "conv1_2", "conv2_1"]);
  const { head, tail, boundary } = splitAt(zoo, "conv1_2");
  assertEquals(boundary, ["conv1_2"]);
  assertEquals(inspectBytes("head", head).outputs.map((o) => o.name), ["conv1_2"]);
  assertEquals(inspectBytes("tail", tail).outputs.map((o) => o.name), ["logits", "conv2_1"]);
  const feeds = image(1, 16);
  const out = await headThenTail(zoo, "conv1_2", feeds);
  const full = await run(zoo, feeds);
  assert(
    maxAbsDiff(out.conv2_1, full.conv2_1) < 1e-5 && maxAbsDiff(out.logits, full.logits) < 1e-5,
  );
  // A layer no output depends on has no tail.
  const e = errorOf(() => splitAt(zoo, "logits", "zoo.onnx"));
  assertMatch(e.message, /zoo\.onnx: no graph output depends on layer "logits"/);
});

Deno.test("unknown layer names are errors listing the layers that exist", () => {
  for (
    const fn of [
      () => exposeOutputs(vgg(), ["conv1_1", "conv9_9"], "vgg.onnx"),
      () => splitAt(vgg(), "conv9_9", "vgg.onnx"),
    ]
  ) {
    const e = errorOf(fn);
    assertEquals(e.code, "MODEL");
    assertMatch(e.message, /vgg\.onnx has no layer named "conv9_9"/);
    assertMatch(e.hint ?? "", /conv1_1_pre, conv1_1, pool1, conv2_1_pre, conv2_1/);
  }
});

Deno.test("selectOutputs keeps the named outputs and leaves the rest exposable", () => {
  const g = new GraphBuilder();
  g.input("x", ["N", 2]);
  const a = g.node("Relu", ["x"], "a");
  g.node("Neg", [a], "b");
  g.output("a", ["N", 2]);
  g.output("b", ["N", 2]);
  const only = selectOutputs(g.toBytes(), ["b"]);
  const info = inspectBytes("m", only);
  assertEquals(info.outputs.map((o) => o.name), ["b"]);
  assertEquals(inspectBytes("m", exposeOutputs(only, ["a"])).outputs.map((o) => o.name), [
    "b",
    "a",
  ]);
  try {
    selectOutputs(g.toBytes(), ["c"]);
    throw new Error("should have thrown");
  } catch (e) {
    assertEquals((e as Error).message, 'model has no output named "c"');
  }
});

// ---------------------------------------------------------------- class maps

/** Logits = the input itself (Identity), so the test controls every value, ties included. */
function logitsModel(classes: number | string): Uint8Array {
  const g = new GraphBuilder();
  g.input("x", ["n", classes, 2, 3]);
  g.node("Identity", ["x"], "logits");
  g.output("logits", ["n", classes, 2, 3]);
  return g.toBytes();
}

for (const [K, bytes] of [[5, 1], [700, 2]] as const) {
  Deno.test(`withClassMaps: ${bytes === 2 ? "16-bit" : "byte"} class ids per pixel of ${K} classes, the first of equal maxima, as a JS argmax`, async () => {
    const n = 2, px = 6;
    const next = rng(4);
    // Values from a small set, so ties are common; with many classes, high ids win somewhere.
    const x = Float32Array.from({ length: n * K * px }, () => Math.floor(next() * 3));
    if (K > 256) x[(1 * K + 650) * px + 4] = 9;
    const session = await createSession(
      "logits",
      withClassMaps(logitsModel(K), ["logits"], "logits", bytes),
      1,
    );
    const out = await session.run(
      { x: new ort.Tensor("float32", x, [n, K, 2, 3]) },
      [classMapOf("logits")],
    );
    const got = out[classMapOf("logits")];
    assertEquals(got.type, bytes === 2 ? "uint16" : "uint8");
    assertEquals(got.dims, [n, 2, 3]);
    const want: number[] = new Array(n * px).fill(0);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < px; p++) {
        let best = -Infinity;
        for (let c = 0; c < K; c++) {
          const v = x[(i * K + c) * px + p];
          if (v > best) [best, want[i * px + p]] = [v, c];
        }
      }
    }
    if (K > 256) assertEquals(want[px + 4], 650);
    assertEquals(Array.from(got.data as Uint8Array | Uint16Array), want);
    await session.release();
  });
}

Deno.test("withClassMaps: more than 256 classes is an error naming the output", () => {
  const e = (() => {
    try {
      withClassMaps(logitsModel(300), ["logits"], "big.onnx");
    } catch (err) {
      return err;
    }
  })();
  assert(e instanceof DissectError);
  assertMatch(e.message, /big\.onnx: output "logits" must have at most 256 classes/);
});
