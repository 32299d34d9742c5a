/**
 * A model tail that runs many unit-removal settings in one call without
 * copying the layer in JavaScript: it takes the layer's activations once
 * ([N, C, ...]) and a keep-mask per setting ([S, C], 1 keeps a unit, 0
 * zeroes it), forms the S masked copies inside the graph (a broadcast Mul),
 * runs the original tail on all S x N rows, and returns the argmax class of
 * each row and its class probabilities (the softmax of the output, taken to be
 * logits). Other tensors crossing the cut (skip connections) are repeated S
 * times, unmasked. Only opset-10 operators are added, so any model works.
 */
import { attribute } from "./build.ts";
import { Emitter } from "./gradient_emit.ts";
import { decodeModel, encodeModel, onnx } from "./proto.ts";

/** A tail graph that runs many removal settings on one copy of the layer: its bytes and I/O names. */
export interface MaskedTail {
  bytes: Uint8Array;
  /** Input names: the layer's activations and the other boundary tensors, as given. */
  inputs: string[];
  /** The keep-mask input, [S, C]. */
  keep: string;
  /** The output: argmax class per row, int64 [S * N], setting-major. */
  predicted: string;
  /** The output: class probabilities per row, float [S * N, K], setting-major. */
  probabilities: string;
}

/** Turns a tail into one that runs many keep-masks of the layer at once (see above). */
export function maskedTail(tail: Uint8Array, boundary: string[], output: string): MaskedTail {
  const model = decodeModel(tail);
  const g = model.graph!;
  const e = new Emitter("masked/");
  const keep = "masked/keep";
  const inputs = boundary.map((b) => `${b}:once`);
  const shape = (t: string, from: number, to?: number) =>
    e.op("Slice", [e.op("Shape", [t]), e.i64([from]), e.i64([to ?? 2 ** 62]), e.i64([0])]);
  const rows = shape(keep, 0, 1); // [S]
  boundary.forEach((b, k) => {
    const once = inputs[k];
    const rest = shape(once, 1); // [C, ...]
    // [1, N, C, ...] expanded to [S, N, C, ...], then rows [S * N, C, ...].
    const lifted = e.op("Reshape", [
      once,
      e.op("Concat", [e.i64([1]), shape(once, 0)], { axis: 0 }),
    ]);
    let repeated = e.op("Expand", [lifted, e.op("Concat", [rows, shape(once, 0)], { axis: 0 })]);
    if (k === 0) {
      // The mask per row, [S * N, C, 1, ...]: a per-channel product.
      const spatial = shape(once, 2);
      const ones = e.op("Add", [e.op("Mul", [spatial, e.i64([0], [])]), e.i64([1], [])]);
      const perRow = e.op("Expand", [
        e.op("Reshape", [keep, e.op("Concat", [e.i64([-1, 1]), shape(once, 1, 2)], { axis: 0 })]),
        e.op("Concat", [rows, shape(once, 0, 2)], { axis: 0 }),
      ]);
      const view = e.op("Concat", [e.i64([-1]), shape(once, 1, 2), ones], { axis: 0 });
      repeated = e.op("Mul", [
        e.op("Reshape", [repeated, e.op("Concat", [e.i64([-1]), rest], { axis: 0 })]),
        e.op("Reshape", [perRow, view]),
      ]);
    }
    e.nodes.push({
      opType: "Reshape",
      name: `masked/rows_${k}`,
      input: [repeated, e.op("Concat", [e.i64([-1]), rest], { axis: 0 })],
      output: [b],
    });
  });
  const predicted = "masked/predicted", probabilities = "masked/probabilities";
  const info = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType } } });
  const float = onnx.TensorProto.DataType.FLOAT;
  const described = new Map(g.input!.map((i) => [i.name, i]));
  return {
    bytes: encodeModel({
      ...model,
      graph: {
        ...g,
        node: [
          ...e.nodes,
          ...g.node!,
          {
            opType: "ArgMax",
            name: "masked/argmax",
            input: [output],
            output: [predicted],
            attribute: [attribute("axis", 1), attribute("keepdims", 0)],
          },
          {
            opType: "Flatten",
            name: "masked/rows",
            input: [output],
            output: ["masked/scores"],
            attribute: [attribute("axis", 1)],
          },
          {
            opType: "Softmax",
            name: "masked/softmax",
            input: ["masked/scores"],
            output: [probabilities],
            attribute: [attribute("axis", 1)],
          },
        ],
        initializer: [...(g.initializer ?? []), ...e.initializers],
        input: [
          ...boundary.map((b, k) => ({
            ...onnx.ValueInfoProto.toObject(described.get(b) as never),
            name: inputs[k],
          })),
          info(keep, float),
          ...g.input!.filter((i) => !boundary.includes(i.name!)),
        ],
        output: [info(predicted, onnx.TensorProto.DataType.INT64), info(probabilities, float)],
        valueInfo: [...(g.valueInfo ?? []), ...g.output!],
      },
    }),
    inputs,
    keep,
    predicted,
    probabilities,
  };
}

/** Ops that act on each channel alone and map an all-zero channel to zero. */
const ZERO_PRESERVING = new Set([
  "Relu",
  "LeakyRelu",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "GlobalMaxPool",
  "Identity",
  "Dropout",
]);

/**
 * The furthest tensor after `layer` at which zeroing a channel has the same
 * effect as zeroing it at `layer`: the chain of single-consumer, per-channel,
 * zero-preserving ops that follows it (a ReLU, a max pool). Masking there
 * gives identical results while the repeated tail is smaller, and the head
 * computes the chain once per batch instead of once per setting.
 */
export function maskPoint(bytes: Uint8Array, layer: string): string {
  const g = decodeModel(bytes).graph!;
  const consumers = new Map<string, typeof g.node>();
  for (const n of g.node ?? []) {
    for (const t of n.input ?? []) consumers.set(t, [...(consumers.get(t) ?? []), n]);
  }
  const outputs = new Set((g.output ?? []).map((o) => o.name));
  let t = layer;
  for (;;) {
    const users = consumers.get(t) ?? [];
    if (users.length !== 1 || outputs.has(t)) return t;
    const n = users[0]!;
    const extra = (n.output ?? []).slice(1).some(Boolean); // e.g. max-pool indices
    if (!ZERO_PRESERVING.has(n.opType ?? "") || n.input![0] !== t || extra) return t;
    t = n.output![0];
  }
}
