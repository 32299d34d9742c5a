/**
 * The Carlini-Wagner margin term's seed, computed inside a classifier's VJP
 * graph from the logits of the same run (see `marginSeed` for the same in
 * JavaScript). Each Adam step is then one evaluation: no guessing the
 * strongest other class from the previous step's logits.
 */
import * as ort from "onnxruntime-node";
import type { SeedHead } from "../onnx/gradient.ts";
import type { Emitter } from "../onnx/gradient_emit.ts";
import { onnx } from "../onnx/proto.ts";
import type { MarginTerm } from "./carlini_wagner.ts";

/** Graph inputs: each image's target class, its c, and the confidence. */
export const MARGIN_INPUTS = {
  targets: "cw:targets",
  c: "cw:c",
  confidence: "cw:confidence",
} as const;

const { FLOAT, INT64 } = onnx.TensorProto.DataType;

/** The head for logits [N, classes]. */
export function marginHead(classes: number): SeedHead {
  return {
    inputs: [
      { name: MARGIN_INPUTS.targets, elemType: INT64, dims: ["N"] },
      { name: MARGIN_INPUTS.c, elemType: FLOAT, dims: ["N"] },
      { name: MARGIN_INPUTS.confidence, elemType: FLOAT, dims: [] },
    ],
    emit: (e, logits) => emitMarginSeed(e, logits, classes),
  };
}

/** The head's inputs for a batch of n images. */
export function marginFeeds(term: MarginTerm, n: number): Record<string, ort.Tensor> {
  return {
    [MARGIN_INPUTS.targets]: new ort.Tensor(
      "int64",
      BigInt64Array.from(Array.from(term.targets, BigInt)),
      [n],
    ),
    [MARGIN_INPUTS.c]: new ort.Tensor("float32", Float32Array.from(term.c), [n]),
    [MARGIN_INPUTS.confidence]: new ort.Tensor("float32", Float32Array.of(term.confidence), []),
  };
}

/**
 * c * d/dZ max(max_{j != t} Z_j - Z_t, -confidence): +c on the strongest
 * other class (the first, where several tie), -c on the target, and zero
 * once Z_t leads by the confidence.
 */
function emitMarginSeed(e: Emitter, Z: string, classes: number): string {
  const column = e.i64([-1, 1]);
  const t = e.op("Reshape", [MARGIN_INPUTS.targets, column]);
  const classIds = e.i64([...Array(classes).keys()], [1, classes]);
  const isTarget = e.op("Equal", [classIds, t]);
  const others = e.op("Where", [isTarget, e.f32([-Infinity]), Z]);
  const strongest = e.op("ArgMax", [others], { axis: 1, keepdims: 1 });
  const lead = e.op("Sub", [
    e.op("GatherElements", [Z, t], { axis: 1 }),
    e.op("GatherElements", [others, strongest], { axis: 1 }),
  ]);
  const pushing = e.op("Cast", [e.op("Less", [lead, MARGIN_INPUTS.confidence])], { to: FLOAT });
  const weight = e.op("Mul", [e.op("Reshape", [MARGIN_INPUTS.c, column]), pushing]);
  const isStrongest = e.op("Equal", [classIds, strongest]);
  const direction = e.op("Sub", [
    e.op("Cast", [isStrongest], { to: FLOAT }),
    e.op("Cast", [isTarget], { to: FLOAT }),
  ]);
  return e.op("Mul", [direction, weight]);
}
