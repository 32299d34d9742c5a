/**
 * Opening an ONNX model with errors a user can act on: a missing file, a
 * file that is not ONNX, a layer name that does not exist (listing those that
 * do), an input of the wrong shape.
 */
import * as ort from "onnxruntime-node";
import { DissectError } from "../engine/errors.ts";
import { decodeModel, dimsOf, type ModelProto } from "./proto.ts";
import { executionProviders } from "./providers.ts";

/** A graph input or output: its name and dims (numbers or symbolic names). */
export interface TensorInfo {
  name: string;
  dims: (number | string)[];
}

/** What inspecting a model finds: inputs, outputs, layers, metadata and opset. */
export interface ModelInfo {
  path: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Every tensor a node produces, in graph order: the addressable layers. */
  tensors: string[];
  /** For each produced tensor, the op that produces it. */
  producers: Record<string, string>;
  metadata: Record<string, string>;
  opset: number;
  proto: ModelProto;
}

/** A model file's bytes; a missing file is a MODEL error naming it. */
export async function readModelBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DissectError("MODEL", `model file not found: ${path}`);
    }
    throw e;
  }
}

/** Decodes a model's bytes and lists what a stage needs of it; not ONNX is a MODEL error. */
export function inspectBytes(path: string, bytes: Uint8Array): ModelInfo {
  let proto: ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (e) {
    throw new DissectError("MODEL", `${path} is not a valid ONNX file: ${(e as Error).message}`);
  }
  const g = proto.graph;
  if (!g || !g.node?.length || !g.input?.length || !g.output?.length) {
    throw new DissectError(
      "MODEL",
      `${path} is not a valid ONNX file: it has no graph with nodes, inputs and outputs`,
    );
  }
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const producers: Record<string, string> = {};
  for (const n of g.node) for (const o of n.output ?? []) if (o) producers[o] = n.opType ?? "?";
  return {
    path,
    inputs: g.input.filter((i) => !inits.has(i.name)).map((i) => ({
      name: i.name ?? "",
      dims: dimsOf(i),
    })),
    outputs: g.output.map((o) => ({ name: o.name ?? "", dims: dimsOf(o) })),
    tensors: Object.keys(producers),
    producers,
    metadata: Object.fromEntries(
      (proto.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]),
    ),
    opset: Number(proto.opsetImport?.find((o) => !o.domain)?.version ?? 0),
    proto,
  };
}

/** inspectBytes of a model file. */
export async function inspectModel(path: string): Promise<ModelInfo> {
  return inspectBytes(path, await readModelBytes(path));
}

/** Ops whose outputs are what a user means by a layer (not reshapes, casts or constants). */
const LAYER_OPS = new Set([
  "Conv",
  "ConvTranspose",
  "Relu",
  "LeakyRelu",
  "PRelu",
  "Elu",
  "Gelu",
  "Sigmoid",
  "Tanh",
  "Clip",
  "HardSigmoid",
  "HardSwish",
  "Gemm",
  "MatMul",
  "BatchNormalization",
  "InstanceNormalization",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "Add",
  "Concat",
  "Resize",
  "Upsample",
  "Softmax",
]);

/** Whether an op's output is what a user means by a layer. */
export function isLayerOp(op: string): boolean {
  return LAYER_OPS.has(op);
}

/**
 * The layers worth listing to a user who named one that does not exist: the
 * outputs of layer-like ops, by the names the model's author gave them, or
 * when it gave none (a torch export names them "/features/features.8/
 * Relu_output_0") by those; at most `limit` of them.
 */
export function layerNames(info: ModelInfo, limit = 60): string {
  const layers = info.tensors.filter((t) => isLayerOp(info.producers[t]));
  const shown = layers.length ? layers : info.tensors;
  return shown.slice(0, limit).join(", ") +
    (shown.length > limit ? `, ... (${shown.length - limit} more)` : "");
}

/** Fail, naming the model and listing what exists, when a layer is not in the graph. */
export function requireTensors(info: ModelInfo, names: string[]): void {
  const missing = names.filter((n) => !(n in info.producers));
  if (missing.length) {
    throw new DissectError(
      "MODEL",
      `${info.path} has no layer named ${missing.map((m) => `"${m}"`).join(", ")}`,
      `layers it has: ${layerNames(info)}`,
    );
  }
}

/**
 * A stage's preflight check of layer names: the model at `file` (named
 * `path` in errors) has every layer, or a MODEL error names the missing ones
 * and lists the model's layers.
 */
export async function checkLayers(path: string, file: string, layers: string[]): Promise<void> {
  requireTensors(inspectBytes(path, await readModelBytes(file)), layers);
}

/** Fail when the model's (single) image input does not match what a stage feeds it. */
export function requireInput(
  info: ModelInfo,
  expect: { name?: string; dims: (number | null)[] },
): TensorInfo {
  const input = expect.name ? info.inputs.find((i) => i.name === expect.name) : info.inputs[0];
  if (!input) {
    throw new DissectError(
      "MODEL",
      `${info.path} has no input named "${expect.name}"`,
      `inputs: ${info.inputs.map((i) => i.name).join(", ")}`,
    );
  }
  const ok = input.dims.length === expect.dims.length &&
    expect.dims.every((d, i) =>
      d === null || typeof input.dims[i] === "string" || input.dims[i] === d
    );
  if (!ok) {
    const want = expect.dims.map((d) => d ?? "N").join("x");
    throw new DissectError(
      "MODEL",
      `${info.path}: input "${input.name}" has shape ${input.dims.join("x")}, expected ${want}`,
    );
  }
  return input;
}

/** Every core of this machine: the thread count of a session nobody gave one. */
export function allCores(): number {
  return Math.max(1, navigator.hardwareConcurrency ?? 1);
}

/**
 * An onnxruntime session on the run's execution providers (the CPU unless
 * the config names others: onnx/providers.ts), from bytes (possibly edited), running on
 * `threads` intra-op threads. A stage passes its context's share of the cores
 * (the runner divides them among the stages it runs at once).
 */
export async function createSession(
  path: string,
  bytes: Uint8Array,
  threads: number,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: [...executionProviders()],
      graphOptimizationLevel: "all",
      intraOpNumThreads: Math.max(1, Math.floor(threads)),
      // Idle worker threads must not spin: a stage often holds several
      // sessions (a head and a tail), and one session's spinning threads
      // would take the cores from the one that is running.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
  } catch (e) {
    throw new DissectError("MODEL", `onnxruntime cannot load ${path}: ${(e as Error).message}`);
  }
}

/** A layer's output as a feature map: its units and size, or a MODEL error if it is not NxCxHxW. */
export function featureMapShape(
  path: string,
  layer: string,
  dims: readonly number[],
): { units: number; height: number; width: number } {
  if (dims.length !== 4) {
    throw new DissectError(
      "MODEL",
      `${path}: layer "${layer}" is ${dims.join("x")}, not a feature map NxCxHxW`,
    );
  }
  return { units: dims[1], height: dims[2], width: dims[3] };
}
