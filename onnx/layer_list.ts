/**
 * What a user can dissect in a model: every layer-like output (conv, relu,
 * pooling, add, ... in graph order) with its op and shape, found by one
 * forward pass on a zero input, and whether input gradients (the attack of
 * claim C12) can be taken through it.
 */
import * as ort from "onnxruntime-node";
import { gradientGaps } from "./gradient.ts";
import { createSession, inspectBytes, isLayerOp } from "./model.ts";
import { exposeOutputs } from "./surgery.ts";

/** One layer: its tensor name, the op that makes it, and its shape for one input. */
export interface LayerEntry {
  name: string;
  op: string;
  dims: number[];
}

/** A model's layers, its input as fed, and the nodes no gradient rule covers. */
export interface LayerList {
  input: { name: string; dims: number[] };
  layers: LayerEntry[];
  gradientGaps: { op: string; node: string }[];
}

/**
 * Lists a model's layers with their shapes for one input of `size` x `size`
 * pixels (images) or one latent (generators); `size` fills only the input
 * dimensions the model leaves open.
 */
export async function listLayers(path: string, bytes: Uint8Array, size = 224): Promise<LayerList> {
  const info = inspectBytes(path, bytes);
  const names = info.tensors.filter((t) => isLayerOp(info.producers[t]));
  const input = info.inputs[0];
  const dims = input.dims.map((d, i) => typeof d === "number" ? d : i === 0 ? 1 : size);
  const session = await createSession(path, exposeOutputs(bytes, names, path), 1);
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    const zeros = new Float32Array(dims.reduce((a, b) => a * b, 1));
    out = await session.run({ [input.name]: new ort.Tensor("float32", zeros, dims) }, names);
  } finally {
    await session.release();
  }
  return {
    input: { name: input.name, dims },
    layers: names.map((name) => ({
      name,
      op: info.producers[name],
      dims: (out[name].dims as number[]).slice(),
    })),
    gradientGaps: gradientGaps(bytes, {}, path),
  };
}
