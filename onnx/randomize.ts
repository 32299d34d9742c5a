/**
 * The control for counting claims: the same architecture with its learned
 * weights re-drawn at random, as the original Network Dissection compared
 * trained networks with randomly initialized ones. Every weight and bias of
 * a Conv, ConvTranspose, Gemm or MatMul is replaced by draws from a normal
 * distribution with that tensor's own mean and standard deviation (so each
 * layer keeps its scale), seeded per tensor. Everything else (normalization
 * statistics, constants, the graph) is kept.
 */
import { z } from "zod";
import { DissectError } from "../engine/errors.ts";
import { normalLatents } from "../stats/normal.ts";
import { decodeModel, encodeModel, type ModelProto } from "./proto.ts";

/** Ops whose weight (input 1) and bias (input 2) are learned and re-drawn. */
const LEARNED_OPS = new Set(["Conv", "ConvTranspose", "Gemm", "MatMul"]);
const FLOAT = 1;
/** Mixed into the seed of re-drawn weights ("RAND"). */
const WEIGHT_SALT = 0x52414e44;

/** A stage parameter: run the model as trained (the default) or re-drawn with a seed (the control). */
export const WEIGHTS_PARAM = z.union([
  z.literal("trained"),
  z.object({ random: z.int().min(0) }).strict(),
]).default("trained");

/** Which weights a stage runs a model with: as trained, or re-drawn at random with a seed. */
export type Weights = z.infer<typeof WEIGHTS_PARAM>;

/** One re-drawn tensor: its name, size, and the mean and standard deviation kept. */
export interface RedrawnTensor {
  name: string;
  elements: number;
  mean: number;
  std: number;
}

interface Tensor {
  name: string;
  dataType: number;
  dims: unknown[];
  floatData: number[];
  rawData: Uint8Array;
  dataLocation?: number;
}

/**
 * The model with its learned tensors re-drawn (see above); `seed` fixes
 * every draw. A model with no learned tensor found is refused: its control
 * would be the model itself.
 */
export function randomizeWeights(
  bytes: Uint8Array,
  seed: number,
  path = "model",
): { bytes: Uint8Array; tensors: RedrawnTensor[] } {
  const model: ModelProto = decodeModel(bytes);
  const graph = model.graph as unknown as {
    node: { opType: string; input: string[] }[];
    initializer: Tensor[];
  };
  const learned = new Set<string>();
  for (const n of graph.node) {
    if (!LEARNED_OPS.has(n.opType)) continue;
    for (const i of [1, 2]) if (n.input[i]) learned.add(n.input[i]);
  }
  const tensors: RedrawnTensor[] = [];
  graph.initializer.forEach((t, index) => {
    if (!learned.has(t.name)) return;
    if (t.dataLocation === 1) {
      throw new DissectError(
        "MODEL",
        `${path}: tensor "${t.name}" is stored outside the model file`,
      );
    }
    if (t.dataType !== FLOAT) {
      throw new DissectError(
        "MODEL",
        `${path}: learned tensor "${t.name}" is not float32 (ONNX type ${t.dataType}); ` +
          "only float32 weights can be re-drawn",
      );
    }
    const values = floatsOf(t);
    if (values.length === 0) return;
    const { mean, std } = moments(values);
    // A stream per tensor, by its place among the initializers; the seed is salted so that
    // the weights never share a stream with latents drawn from the same seed.
    const noise = normalLatents((seed ^ WEIGHT_SALT) >>> 0, index, 1, values.length);
    const drawn = new Float32Array(values.length);
    for (let k = 0; k < drawn.length; k++) drawn[k] = mean + std * noise[k];
    t.floatData = [];
    t.rawData = new Uint8Array(drawn.buffer);
    tensors.push({ name: t.name, elements: drawn.length, mean, std });
  });
  if (tensors.length === 0) {
    throw new DissectError(
      "MODEL",
      `${path}: no Conv, ConvTranspose, Gemm or MatMul weight among its initializers`,
      "a random-weight control needs learned weights stored in the model",
    );
  }
  return { bytes: encodeModel(model), tensors };
}

function floatsOf(t: Tensor): Float32Array {
  if (t.rawData?.length) {
    // A copy: a decoded buffer may be a view into a shared pool, at any offset.
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

function moments(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / v.length) };
}

/** The model bytes a stage runs: as read, or re-drawn when `weights` asks for the control. */
export function withWeights(bytes: Uint8Array, weights: Weights, path = "model"): Uint8Array {
  return weights === "trained" ? bytes : randomizeWeights(bytes, weights.random, path).bytes;
}
