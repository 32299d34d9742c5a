/**
 * The gradient of each supported ONNX operator, written as ONNX operators:
 * given the gradients of a node's outputs, the gradients of its inputs. A
 * rule only builds the gradients asked for (inputs that depend on the image).
 */
import type { Attr } from "./build.ts";
import { Emitter } from "./gradient_emit.ts";
import type { onnx } from "./proto.ts";

/** An ONNX node as decoded. */
export type Node = InstanceType<typeof onnx.NodeProto>;

/** What a gradient rule gets: the emitter, the node, its output gradients and facts about its inputs. */
export interface RuleArgs {
  e: Emitter;
  node: Node;
  /** Gradient of each output (undefined: nothing downstream needs it). */
  gy: (string | undefined)[];
  /** Which inputs need a gradient. */
  wants: boolean[];
  /** Dims of an input that is a constant (initializer), if it is one. */
  constantDims: (name: string) => number[] | undefined;
  /** Values of a float32 constant, if the input is one. */
  constantValues: (name: string) => Float32Array | undefined;
  /** Values of an int64 constant (initializer or Constant node), if the input is one. */
  constantInts: (name: string) => number[] | undefined;
  /** The input comes from a Relu whose gradient mask this rule must apply (MaxPool). */
  reluBefore?: boolean;
  /** Spatial dims (after batch and channels) the model declares for a tensor, if all known. */
  spatialDims: (name: string) => number[] | undefined;
}

/** The gradient of one operator: which inputs it flows into, and the nodes that compute it. */
export interface Rule {
  /** Inputs a gradient can flow into; others (shapes, statistics) are treated as constant. */
  differentiable: number[];
  grad(a: RuleArgs): (string | undefined)[];
}

/** Thrown by a rule for a node it cannot differentiate; the caller names the model. */
export class Unsupported extends Error {}

/** Ops whose outputs carry no gradient (shapes, comparisons): the backward pass stops there. */
export const ZERO_GRADIENT = new Set(
  ("Shape Size ConstantOfShape Equal Greater Less GreaterOrEqual LessOrEqual Not And Or " +
    "ArgMax ArgMin NonZero").split(" "),
);

function attrs(node: Node) {
  const byName = new Map(node.attribute.map((a) => [a.name, a]));
  const text = (v: Uint8Array | null | undefined) => new TextDecoder().decode(v ?? undefined);
  return {
    has: (name: string) => byName.has(name),
    int: (name: string, d: number) => (byName.has(name) ? Number(byName.get(name)!.i) : d),
    ints: (name: string, d: number[]) =>
      byName.get(name)?.ints?.length ? byName.get(name)!.ints!.map(Number) : d,
    float: (name: string, d: number) => (byName.has(name) ? Number(byName.get(name)!.f) : d),
    str: (name: string, d: string) => (byName.has(name) ? text(byName.get(name)!.s) : d),
  };
}

/** Kernel, strides, pads and dilations of a Conv or pooling node, with ONNX defaults. */
function windowOf(node: Node, kernel: number[] | undefined) {
  const a = attrs(node);
  const k = a.ints("kernel_shape", kernel ?? []);
  if (!k.length) throw new Unsupported("its kernel shape is not known (no kernel_shape attribute)");
  const autoPad = a.str("auto_pad", "NOTSET");
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    throw new Unsupported(`auto_pad ${autoPad} is not supported; export with explicit pads`);
  }
  const ones = k.map(() => 1);
  const pads = autoPad === "VALID" ? [...k, ...k].map(() => 0) : a.ints(
    "pads",
    [...k, ...k].map(
      () => 0,
    ),
  );
  return {
    k,
    strides: a.ints("strides", ones),
    dilations: a.ints("dilations", ones),
    begin: pads.slice(0, k.length),
    ceil: a.int("ceil_mode", 0),
  };
}

const same: Rule = { differentiable: [0], grad: ({ gy }) => [gy[0]] };
/** Every input of an op with any number of them (Concat). */
const ANY_INPUT = Array.from({ length: 1024 }, (_, i) => i);

const reshaped: Rule = {
  differentiable: [0],
  grad: ({ e, node, gy }) => [e.reshapeLike(gy[0]!, node.input[0])],
};

/** The gradient rule of every supported operator, by op type. */
export const RULES: Record<string, Rule> = {
  Identity: same,
  // Inference-mode dropout passes its input through.
  Dropout: same,
  Flatten: reshaped,
  Reshape: reshaped,
  Squeeze: reshaped,
  Unsqueeze: reshaped,

  Relu: {
    differentiable: [0],
    grad: ({ e, node, gy }) => [e.op("Mul", [gy[0]!, positiveMask(e, node.output[0])])],
  },

  LeakyRelu: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const alpha = e.f32([attrs(node).float("alpha", 0.01)]);
      const positive = e.op("Greater", [node.input[0], e.f32([0])]);
      return [e.op("Where", [positive, gy[0]!, e.op("Mul", [gy[0]!, alpha])])];
    },
  },

  Sigmoid: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const y = node.output[0];
      const slope = e.op("Mul", [y, e.op("Sub", [e.f32([1]), y])]);
      return [e.op("Mul", [gy[0]!, slope])];
    },
  },

  Tanh: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const y = node.output[0];
      const slope = e.op("Sub", [e.f32([1]), e.op("Mul", [y, y])]);
      return [e.op("Mul", [gy[0]!, slope])];
    },
  },

  Neg: { differentiable: [0], grad: ({ e, gy }) => [e.op("Neg", [gy[0]!])] },

  Transpose: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const perm = attrs(node).ints("perm", []);
      if (!perm.length) return [e.op("Transpose", [gy[0]!])]; // reversal is its own inverse
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [e.op("Transpose", [gy[0]!], { perm: inverse })];
    },
  },

  Add: {
    differentiable: [0, 1],
    grad: ({ e, node, gy, wants }) =>
      node.input.map((x, i) => (wants[i] ? e.unbroadcast(gy[0]!, x) : undefined)),
  },

  Sub: {
    differentiable: [0, 1],
    grad: ({ e, node, gy, wants }) => [
      wants[0] ? e.unbroadcast(gy[0]!, node.input[0]) : undefined,
      wants[1] ? e.unbroadcast(e.op("Neg", [gy[0]!]), node.input[1]) : undefined,
    ],
  },

  Mul: {
    differentiable: [0, 1],
    grad: ({ e, node, gy, wants }) => {
      const [a, b] = node.input;
      return [
        wants[0] ? e.unbroadcast(e.op("Mul", [gy[0]!, b]), a) : undefined,
        wants[1] ? e.unbroadcast(e.op("Mul", [gy[0]!, a]), b) : undefined,
      ];
    },
  },

  Div: {
    differentiable: [0, 1],
    grad: ({ e, node, gy, wants }) => {
      const [a, b] = node.input;
      const gb = () => {
        const q = e.op("Div", [e.op("Mul", [gy[0]!, a]), e.op("Mul", [b, b])]);
        return e.unbroadcast(e.op("Neg", [q]), b);
      };
      return [
        wants[0] ? e.unbroadcast(e.op("Div", [gy[0]!, b]), a) : undefined,
        wants[1] ? gb() : undefined,
      ];
    },
  },

  // Y = alpha * op(A) op(B) + beta * C, op = optional transpose.
  Gemm: {
    differentiable: [0, 1, 2],
    grad: ({ e, node, gy, wants }) => {
      const a = attrs(node);
      const alpha = a.float("alpha", 1), beta = a.float("beta", 1);
      const tA = a.int("transA", 0), tB = a.int("transB", 0);
      const [A, B, C] = node.input;
      const g = gy[0]!;
      const scaled: Record<string, Attr> = alpha === 1 ? {} : { alpha: { float: alpha } };
      const gA = () =>
        tA
          ? e.op("Gemm", [B, g], { ...scaled, transA: tB, transB: 1 })
          : e.op("Gemm", [g, B], { ...scaled, transB: tB ? 0 : 1 });
      const gB = () =>
        tB
          ? e.op("Gemm", [g, A], { ...scaled, transA: 1, transB: tA })
          : e.op("Gemm", [A, g], { ...scaled, transA: tA ? 0 : 1 });
      const gC = () => {
        const s = beta === 1 ? g : e.op("Mul", [g, e.f32([beta])]);
        return e.unbroadcast(s, C);
      };
      return [
        wants[0] ? gA() : undefined,
        wants[1] ? gB() : undefined,
        wants[2] ? gC() : undefined,
      ];
    },
  },

  // Y[..., i, k] = sum_j A[..., i, j] B[..., j, k], batch dims broadcast.
  MatMul: {
    differentiable: [0, 1],
    grad: ({ e, node, gy, wants, constantDims }) => {
      const [A, B] = node.input;
      for (const x of [A, B]) {
        if (constantDims(x)?.length === 1) {
          throw new Unsupported("a 1-D operand (matrix-vector product) is not supported");
        }
      }
      const g = gy[0]!;
      return [
        wants[0]
          ? e.unbroadcast(e.op("Einsum", [g, B], { equation: "...ik,...jk->...ij" }), A)
          : undefined,
        wants[1]
          ? e.unbroadcast(e.op("Einsum", [A, g], { equation: "...ij,...ik->...jk" }), B)
          : undefined,
      ];
    },
  },

  // The input gradient of a convolution is the transposed convolution with the same weights.
  Conv: {
    differentiable: [0, 1, 2],
    grad: ({ e, node, gy, wants, constantDims, constantValues }) => {
      if (wants[1] || wants[2]) {
        throw new Unsupported("its weights or bias depend on the input");
      }
      const [X, W] = node.input;
      const dims = constantDims(W);
      const w = windowOf(node, dims?.slice(2));
      const group = attrs(node).int("group", 1);
      const values = constantValues(W);
      const end = endPads(node, w.k);
      const reach = w.k.map((k, i) => w.dilations[i] * (k - 1));
      const fits = reach.every((r, i) => r >= w.begin[i] && r >= end[i]);
      if (values && dims && w.strides.every((s) => s === 1) && fits) {
        // Stride 1: a plain convolution with the kernel flipped and its
        // channel axes swapped, which onnxruntime runs much faster than ConvTranspose.
        return [
          e.op("Conv", [
            gy[0]!,
            e.f32(Array.from(flipKernel(values, dims, group)), swapped(dims, group)),
          ], {
            kernel_shape: w.k,
            dilations: w.dilations,
            group,
            pads: [...reach.map((r, i) => r - w.begin[i]), ...reach.map((r, i) => r - end[i])],
          }),
        ];
      }
      const t = e.op("ConvTranspose", [gy[0]!, W], {
        kernel_shape: w.k,
        strides: w.strides,
        dilations: w.dilations,
        group,
      });
      return [e.fitSpatial(t, X, w.begin)];
    },
  },

  // The pooled gradient goes to the cell each window picked; overlapping
  // windows add up. Windows that tile the input find their cells by comparing
  // each cell with its window's maximum; others use the argmax indices (the
  // node is made to output them), which onnxruntime computes several times
  // slower than the pooling itself.
  MaxPool: {
    differentiable: [0],
    grad: ({ e, node, gy: [g], reluBefore, spatialDims }) => {
      const X = node.input[0];
      const gp = reluBefore ? e.op("Mul", [g!, positiveMask(e, node.output[0])]) : g!;
      if (poolTiles(node, spatialDims(X))) return [tiledPoolGradient(e, node, gp)];
      if (attrs(node).int("storage_order", 0) !== 0) {
        throw new Unsupported("storage_order 1 (column-major indices) is not supported");
      }
      const same = attrs(node).str("auto_pad", "NOTSET").startsWith("SAME");
      const w = same ? null : windowOf(node, undefined);
      // (With ceil_mode a last window can run past the input: MaxUnpool refuses that shape.)
      const ceil = attrs(node).int("ceil_mode", 0) === 1;
      if (w && !ceil && w.strides.every((s, i) => s >= w.dilations[i] * (w.k[i] - 1) + 1)) {
        // Windows that cannot overlap pick each cell at most once: a plain scatter.
        const pads = [...w.begin, ...endPads(node, w.k)];
        return [e.op("MaxUnpool", [gp, node.output[1], e.op("Shape", [X])], {
          kernel_shape: w.k,
          strides: w.strides,
          pads,
        })];
      }
      const flat = e.i64([-1]);
      const zeros = e.op("ConstantOfShape", [e.op("Reshape", [e.op("Size", [X]), e.i64([1])])]);
      const scattered = e.op("ScatterElements", [
        zeros,
        e.op("Reshape", [node.output[1], flat]),
        e.op("Reshape", [gp, flat]),
      ], { axis: 0, reduction: "add" });
      return [e.op("Reshape", [scattered, e.op("Shape", [X])])];
    },
  },

  // Each window spreads its gradient evenly over the cells it averaged.
  AveragePool: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const w = windowOf(node, undefined);
      if (w.ceil) throw new Unsupported("ceil_mode 1 is not supported");
      if (w.dilations.some((d) => d !== 1)) throw new Unsupported("dilations are not supported");
      const X = node.input[0];
      const size = w.k.reduce((p, q) => p * q, 1);
      const pool = {
        kernel_shape: w.k,
        strides: w.strides,
        pads: [...w.begin, ...endPads(node, w.k)],
      };
      let share: string;
      if (attrs(node).int("count_include_pad", 0)) {
        share = e.op("Mul", [gy[0]!, e.f32([1 / size])]);
      } else {
        // Cells of each window inside the image (padding excluded).
        const ones = e.op("ConstantOfShape", [e.op("Shape", [X])], { value: { tensor: [1] } });
        const inside = e.op("AveragePool", [ones], { ...pool, count_include_pad: 1 });
        share = e.op("Div", [gy[0]!, e.op("Mul", [inside, e.f32([size])])]);
      }
      // One channel at a time: [N*C, 1, h, w], a kernel of ones.
      const perChannel = e.op("Concat", [e.i64([-1, 1]), e.op("Shape", [share], { start: 2 })], {
        axis: 0,
      });
      const spread = e.op("ConvTranspose", [
        e.op("Reshape", [share, perChannel]),
        e.f32(new Array(size).fill(1), [1, 1, ...w.k]),
      ], { kernel_shape: w.k, strides: w.strides });
      const back = e.op("Concat", [
        e.op("Shape", [X], { end: 2 }),
        e.op("Shape", [spread], { start: 2 }),
      ], { axis: 0 });
      return [e.fitSpatial(e.op("Reshape", [spread, back]), X, w.begin)];
    },
  },

  GlobalAveragePool: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const X = node.input[0];
      const toFloat = (t: string) => e.op("Cast", [e.op("Size", [t])], { to: 1 });
      const share = e.op("Div", [toFloat(gy[0]!), toFloat(X)]);
      return [e.op("Mul", [e.op("Expand", [gy[0]!, e.op("Shape", [X])]), share])];
    },
  },

  // y = min(max(x, lo), hi) (ReLU6 in MobileNet): the gradient passes strictly inside the
  // bounds, which are optional inputs from opset 11 (gradients need opset 13 anyway).
  Clip: {
    differentiable: [0],
    grad: ({ e, node, gy, wants }) => {
      if (wants.slice(1).some(Boolean)) throw new Unsupported("its bounds depend on the input");
      const [x, lo, hi] = node.input;
      const inside = [
        lo ? e.op("Greater", [x, lo]) : "",
        hi ? e.op("Less", [x, hi]) : "",
      ].filter(Boolean);
      if (!inside.length) return [gy[0]];
      const mask = inside.length === 2 ? e.op("And", inside) : inside[0];
      return [e.op("Where", [mask, gy[0]!, e.f32([0])])];
    },
  },

  // Each input gets its own stretch of the output's gradient along the axis.
  Concat: {
    differentiable: ANY_INPUT,
    grad: ({ e, node, gy, wants }) => {
      const axis = attrs(node).int("axis", 0);
      const sizes = node.input.map((x) => e.op("Gather", [e.op("Shape", [x]), e.i64([axis])]));
      const pieces = e.node(
        "Split",
        [gy[0]!, e.op("Concat", sizes, { axis: 0 })],
        { axis },
        node.input.length,
      );
      return pieces.map((p, i) => (wants[i] ? p : undefined));
    },
  },

  // The pieces' gradients put back together; a piece no one differentiates contributes zeros.
  Split: {
    differentiable: [0],
    grad: ({ e, node, gy }) => {
      const axis = attrs(node).int("axis", 0);
      const parts = node.output.map((y, i) => gy[i] ?? e.op("ConstantOfShape", [e.op("Shape", [y])]) // float zeros by default
      );
      return [e.op("Concat", parts, { axis })];
    },
  },

  // The adjoint of padding with a constant is cropping it off again: padding by -pads.
  Pad: {
    differentiable: [0],
    grad: ({ e, node, gy, wants }) => {
      const mode = attrs(node).str("mode", "constant");
      if (mode !== "constant") throw new Unsupported(`${mode} padding is not supported`);
      if (wants.slice(1).some(Boolean)) throw new Unsupported("its pads depend on the input");
      if (attrs(node).has("pads")) {
        throw new Unsupported("pads as an attribute (opset < 11) are not supported");
      }
      const [, pads, , axes] = node.input;
      const inputs = [gy[0]!, e.op("Neg", [pads])];
      if (axes) inputs.push("", axes);
      return [e.op("Pad", inputs)];
    },
  },

  // The gradient fills the sliced cells and leaves zeros elsewhere: gy padded back to the
  // input's shape, by the slice's start and what its end leaves, axis by axis (steps of 1).
  Slice: {
    differentiable: [0],
    grad: ({ e, node, gy, wants, constantInts }) => {
      if (wants.slice(1).some(Boolean)) throw new Unsupported("its bounds depend on the input");
      const [x, starts, ends, axesIn, steps] = node.input;
      if (steps && constantInts(steps)?.every((s) => s === 1) !== true) {
        throw new Unsupported("only constant steps of 1 are supported");
      }
      const shape = e.op("Shape", [x]);
      const rank = e.op("Size", [shape]);
      const axes = axesIn
        ? e.op("Mod", [e.op("Add", [axesIn, rank]), rank]) // negative axes counted from the end
        : e.op("Range", [e.i64([0], []), e.op("Size", [starts]), e.i64([1], [])]);
      const dims = e.op("Gather", [shape, axes]);
      const zero = e.i64([0], []);
      // A bound below zero counts from the end; then both are clamped into [0, dim].
      const clamp = (b: string) => {
        const fromEnd = e.op("Where", [e.op("Less", [b, zero]), e.op("Add", [b, dims]), b]);
        return e.op("Max", [e.op("Min", [fromEnd, dims]), zero]);
      };
      const begin = clamp(starts);
      const end = e.op("Max", [clamp(ends), begin]);
      const after = e.op("Sub", [dims, end]);
      // Pads for every axis of x, zero but at the sliced axes: [begins..., ends...].
      const none = e.op("Sub", [shape, shape]);
      const pads = e.op("Concat", [
        e.op("ScatterElements", [none, axes, begin], { axis: 0 }),
        e.op("ScatterElements", [none, axes, after], { axis: 0 }),
      ], { axis: 0 });
      return [e.op("Pad", [gy[0]!, pads])];
    },
  },

  // Inference mode: y = (x - mean) / sqrt(var + eps) * scale + bias, per channel (axis 1).
  BatchNormalization: {
    differentiable: [0, 1, 2, 3, 4],
    grad: ({ e, node, gy, wants }) => {
      if (attrs(node).int("training_mode", 0) || node.output.filter(Boolean).length > 1) {
        throw new Unsupported("training mode (batch statistics) is not supported");
      }
      if (wants.slice(1).some(Boolean)) {
        throw new Unsupported("its scale, bias, mean or variance depend on the input");
      }
      const [X, scale, , , variance] = node.input;
      const eps = e.f32([attrs(node).float("epsilon", 1e-5)]);
      const factor = e.op("Div", [scale, e.op("Sqrt", [e.op("Add", [variance, eps])])]);
      // Shape [1, C, 1, ...]: ones for x's spatial axes, whatever their number.
      const spatial = e.op("Shape", [X], { start: 2 });
      const ones = e.op("Add", [e.op("Mul", [spatial, e.i64([0], [])]), e.i64([1], [])]);
      const view = e.op("Concat", [e.i64([1, -1]), ones], { axis: 0 });
      return [e.op("Mul", [gy[0]!, e.op("Reshape", [factor, view])])];
    },
  },
};

/**
 * Whether a MaxPool's windows tile its input exactly: as large as their
 * stride, no padding or dilation, and (from the model's declared shape)
 * input sizes that are multiples of the window.
 */
export function poolTiles(node: Node, spatial: number[] | undefined): boolean {
  const a = attrs(node);
  const autoPad = a.str("auto_pad", "NOTSET");
  if (autoPad !== "NOTSET" && autoPad !== "VALID") return false;
  const k = a.ints("kernel_shape", []);
  const strides = a.ints("strides", k.map(() => 1));
  const pads = a.ints("pads", []), dilations = a.ints("dilations", k.map(() => 1));
  return k.length > 0 && spatial?.length === k.length &&
    k.every((size, i) => strides[i] === size && dilations[i] === 1 && spatial[i] % size === 0) &&
    (autoPad === "VALID" || pads.every((p) => p === 0));
}

/**
 * A tiling MaxPool's input gradient: each window's gradient goes to the cells
 * equal to the window's maximum, shared equally where several are (a valid
 * subgradient at ties, where onnxruntime's indices would pick the first).
 */
function tiledPoolGradient(e: Emitter, node: Node, gp: string): string {
  const k = attrs(node).ints("kernel_shape", []);
  const up = (t: string) =>
    e.op("Resize", [t, "", e.f32([1, 1, ...k], [2 + k.length])], {
      mode: "nearest",
      coordinate_transformation_mode: "asymmetric",
      nearest_mode: "floor",
    });
  const atMax = e.op("Cast", [e.op("Equal", [node.input[0], up(node.output[0])])], { to: 1 });
  // The fraction of each window at its maximum, times the window's size: how many share it.
  const sharing = e.op("Mul", [
    e.op("AveragePool", [atMax], { kernel_shape: k, strides: k }),
    e.f32([k.reduce((p, q) => p * q, 1)]),
  ]);
  return e.op("Mul", [up(e.op("Div", [gp, sharing])), atMax]);
}

/**
 * 1 where a Relu output is positive, 0 where it is zero. HardSigmoid clamps
 * alpha * y to [0, 1]; with alpha the largest float every y above 2.9e-39 maps
 * to exactly 1 (only subnormal outputs, which float32 convolutions practically
 * never give, would get a fraction). One op instead of Greater and Cast, and
 * measured about 3% faster on the whole gradient than those.
 */
function positiveMask(e: Emitter, y: string): string {
  return e.op("HardSigmoid", [y], { alpha: { float: 3.4028234663852886e38 }, beta: { float: 0 } });
}

/** Dims of a kernel [out, in/g, ...k] with its channel roles swapped: [in, out/g, ...k]. */
function swapped(dims: number[], group: number): number[] {
  const [out, inPerGroup, ...k] = dims;
  return [inPerGroup * group, out / group, ...k];
}

/** The kernel for the input gradient: spatially flipped, in and out swapped within each group. */
function flipKernel(w: Float32Array, dims: number[], group: number): Float32Array {
  const [out, inPerGroup, ...k] = dims;
  const area = k.reduce((a, b) => a * b, 1);
  const outPerGroup = out / group;
  const flipped = new Float32Array(w.length);
  for (let g = 0; g < group; g++) {
    for (let o = 0; o < outPerGroup; o++) {
      for (let i = 0; i < inPerGroup; i++) {
        const src = ((g * outPerGroup + o) * inPerGroup + i) * area;
        const dst = ((g * inPerGroup + i) * outPerGroup + o) * area;
        // Reversing the flattened window reverses every spatial axis at once.
        for (let a = 0; a < area; a++) flipped[dst + a] = w[src + area - 1 - a];
      }
    }
  }
  return flipped;
}

function endPads(node: Node, k: number[]): number[] {
  const pads = attrs(node).ints("pads", []);
  return pads.length ? pads.slice(k.length) : k.map(() => 0);
}
