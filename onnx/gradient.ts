/**
 * Input gradients for ONNX models that onnxruntime can only run forward.
 * From a model's graph we build a second graph, made of standard operators,
 * that computes a vector-Jacobian product: given the input (an image) and a
 * seed on one output (the logits), it returns that output and
 * seed . d output / d input. It runs in onnxruntime like any model, on any
 * execution provider. Reverse-mode differentiation, node by node, with the
 * rules in gradient_rules.ts.
 */
import { DissectError } from "../engine/errors.ts";
import { inspectBytes } from "./model.ts";
import { dimsOf, encodeModel, onnx } from "./proto.ts";
import { Emitter } from "./gradient_emit.ts";
import { valueInfo } from "./build.ts";
import { type Node, poolTiles, RULES, Unsupported, ZERO_GRADIENT } from "./gradient_rules.ts";

/** A gradient graph: its bytes and the names of its seed input and gradient output. */
export interface VjpModel {
  bytes: Uint8Array;
  /** The model input the gradient is taken with respect to. */
  input: string;
  /** The model output the seed is applied to. */
  output: string;
  /**
   * The seed, a tensor shaped like `output`: an extra input, unless a head
   * computes it in the graph (then the head's inputs are the extra ones).
   */
  seed: string;
  /** The extra output: a tensor shaped like `input`. */
  grad: string;
}

/**
 * Computes the seed inside the graph from the output of the same run, when
 * the seed depends on it (the derivative of a loss on the logits): one
 * evaluation then gives the output and the loss's gradient together.
 */
export interface SeedHead {
  /** The graph inputs the head reads besides the output. */
  inputs: { name: string; elemType: number; dims: (number | string)[] }[];
  /** Writes the nodes that compute the seed from `output`; returns the seed's name. */
  emit(e: Emitter, output: string): string;
}

/** Operators the backward pass can go through. */
export const DIFFERENTIABLE_OPS = Object.keys(RULES).sort();

/** Ops used by the backward pass need opset 16 (ScatterElements with reduction). */
const OPSET = 16;

/** Builds the vector-Jacobian product graph of a classifier (see above). */
export function vjpModel(
  bytes: Uint8Array,
  opts: { input?: string; output?: string; head?: SeedHead } = {},
  path = "model",
): VjpModel {
  const info = inspectBytes(path, bytes);
  if (info.opset < 13) {
    throw new DissectError(
      "MODEL",
      `${path} uses ONNX opset ${info.opset}; input gradients need opset 13 or newer`,
      "export the model again with a newer opset",
    );
  }
  const input = opts.input ?? info.inputs[0].name;
  const output = opts.output ?? info.outputs[0].name;
  if (!info.inputs.some((i) => i.name === input)) {
    throw new DissectError(
      "MODEL",
      `${path} has no input named "${input}"`,
      `inputs: ${info.inputs.map((i) => i.name).join(", ")}`,
    );
  }
  if (!(output in info.producers)) {
    throw new DissectError(
      "MODEL",
      `${path} has no output or layer named "${output}"`,
      `outputs: ${info.outputs.map((o) => o.name).join(", ")}`,
    );
  }
  const model = info.proto;
  const g = model.graph!;
  const nodes = g.node as Node[];
  const constants = new Map(
    (g.initializer ?? []).map((t) => [t.name!, (t.dims ?? []).map(Number)]),
  );

  // Forward: what depends on the input; backward: which of those the output needs a gradient of.
  const dynamic = new Set([input]);
  for (const n of nodes) {
    if (n.input.some((t) => dynamic.has(t))) n.output.forEach((o) => o && dynamic.add(o));
  }
  const needed = neededNodes(nodes, output);
  const wantsGrad = new Set([output]);
  const plan: { node: Node; wants: boolean[] }[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!needed.has(i) || !n.output.some((o) => wantsGrad.has(o))) continue;
    if (ZERO_GRADIENT.has(n.opType)) continue;
    const rule = RULES[n.opType];
    if (!rule) {
      throw new DissectError(
        "MODEL",
        `${path}: cannot take gradients through ${n.opType} node "${n.name || n.output[0]}"`,
        `supported operators: ${DIFFERENTIABLE_OPS.join(", ")}`,
      );
    }
    const wants = n.input.map((t, j) => rule.differentiable.includes(j) && dynamic.has(t));
    n.input.forEach((t, j) => wants[j] && wantsGrad.add(t));
    plan.push({ node: n, wants });
  }
  if (!wantsGrad.has(input)) {
    throw new DissectError(
      "MODEL",
      `${path}: output "${output}" does not depend on input "${input}"`,
    );
  }

  // Spatial sizes the model declares (inputs, value_info, outputs), where all are known.
  const declared = new Map<string, (number | string)[]>();
  for (const v of [...(g.input ?? []), ...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    declared.set(v.name ?? "", dimsOf(v));
  }
  const spatialDims = (t: string) => {
    const spatial = declared.get(t)?.slice(2);
    return spatial?.length && spatial.every((d) => typeof d === "number" && d > 0)
      ? spatial as number[]
      : undefined;
  };

  // MaxPool gradients need the argmax indices, unless the windows tile the
  // input: have those nodes output them.
  const e = new Emitter();
  for (const { node } of plan) {
    if (node.opType !== "MaxPool" || node.output[1]) continue;
    if (!poolTiles(node, spatialDims(node.input[0]))) node.output[1] = e.fresh("maxpool_indices");
  }

  // A Relu whose only reader is a MaxPool: its mask is applied to the pooled
  // gradient instead (at each picked cell the Relu output is the pooled
  // value, and no other cell gets a gradient), on a tensor a pool's size smaller.
  const readers = new Map<string, number>();
  for (const i of needed) for (const t of nodes[i].input) readers.set(t, (readers.get(t) ?? 0) + 1);
  const producerOf = new Map(plan.map(({ node }) => [node.output[0], node]));
  const reluIntoPool = new Set<Node>();
  for (const { node } of plan) {
    const before = producerOf.get(node.input[0]);
    if (
      node.opType === "MaxPool" && before?.opType === "Relu" &&
      readers.get(node.input[0]) === 1 && node.input[0] !== output
    ) reluIntoPool.add(before);
  }

  const seed = opts.head ? seedFromHead(opts.head, e, output, nodes, path) : `${output}:seed`;
  const grad = `${input}:grad`;
  const contributions = new Map<string, string[]>([[output, [seed]]]);
  for (const { node, wants } of plan) {
    const gy = node.output.map((o) => {
      const terms = contributions.get(o);
      return terms ? e.sum(terms) : undefined;
    });
    // Only non-differentiable outputs are used downstream (a Split's pieces may be used in part).
    if (gy.every((g) => g === undefined)) continue;
    let gx: (string | undefined)[];
    try {
      if (reluIntoPool.has(node)) {
        gx = [gy[0]]; // masked by the pool below
      } else {gx = RULES[node.opType].grad({
          e,
          node,
          gy,
          wants,
          reluBefore: reluIntoPool.has(producerOf.get(node.input[0])!),
          constantDims: (t) => constants.get(t),
          spatialDims,
          constantValues: (t) => floatValues(g.initializer?.find((i) => i.name === t)),
          constantInts: (t) => intValues(t, g.initializer ?? [], nodes),
        });}
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      throw new DissectError(
        "MODEL",
        `${path}: cannot take gradients through ${node.opType} node "${
          node.name || node.output[0]
        }": ${err.message}`,
      );
    }
    node.input.forEach((t, j) => {
      if (!wants[j] || !gx[j]) return;
      contributions.set(t, [...(contributions.get(t) ?? []), gx[j]!]);
    });
  }
  e.nodes.push({
    opType: "Identity",
    name: "vjp/grad",
    input: [e.sum(contributions.get(input)!)],
    output: [grad],
  });

  const inputInfo = g.input!.find((i) => i.name === input)!;
  const outputInfo = g.output!.find((o) => o.name === output) ??
    { name: output, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } };
  const renamed = (v: object, name: string) => ({
    ...onnx.ValueInfoProto.toObject(v as never),
    name,
  });
  const kept = nodes.filter((_, i) => needed.has(i));
  const used = new Set([...kept, ...e.nodes].flatMap((n) => n.input ?? []));
  const opset = (model.opsetImport ?? []).map((o) =>
    o.domain ? o : { domain: "", version: Math.max(Number(o.version), OPSET) }
  );
  const bytesOut = encodeModel({
    ...model,
    irVersion: Math.max(Number(model.irVersion ?? 0), 8),
    opsetImport: opset,
    graph: {
      ...g,
      node: [...kept, ...e.nodes],
      initializer: [...(g.initializer ?? []).filter((t) => used.has(t.name!)), ...e.initializers],
      input: [
        inputInfo,
        ...(opts.head
          ? opts.head.inputs.map((i) => valueInfo(i.name, i.dims, i.elemType))
          : [renamed(outputInfo, seed)]),
      ],
      output: [outputInfo, renamed(inputInfo, grad)],
      valueInfo: (g.valueInfo ?? []).filter((v) => v.name !== output),
    },
  });
  return { bytes: bytesOut, input, output, seed, grad };
}

/** The head's seed; its inputs must not reuse a name the model has. */
function seedFromHead(head: SeedHead, e: Emitter, output: string, nodes: Node[], path: string) {
  const taken = new Set(nodes.flatMap((n) => [...n.input, ...n.output]));
  const clash = head.inputs.find((i) => taken.has(i.name));
  if (clash) {
    throw new DissectError("MODEL", `${path} already has a tensor named "${clash.name}"`);
  }
  return head.emit(e, output);
}

/** The values of a float32 initializer (raw bytes or float_data). */
function floatValues(
  t: {
    dataType?: number | null;
    dataLocation?: number | null;
    rawData?: Uint8Array | null;
    floatData?: number[] | null;
  } | undefined,
): Float32Array | undefined {
  if (!t || t.dataType !== onnx.TensorProto.DataType.FLOAT || t.dataLocation === 1) {
    return undefined;
  }
  if (t.rawData?.length) {
    // A copy: decoded bytes may be a view into the whole file (a Node Buffer).
    const copy = new Uint8Array(t.rawData.length);
    copy.set(t.rawData);
    return new Float32Array(copy.buffer);
  }
  return t.floatData?.length ? Float32Array.from(t.floatData) : undefined;
}

/**
 * Values of an int64 constant: an initializer, or the output of a Constant
 * node (torch exports bounds and steps that way); undefined otherwise.
 */
function intValues(
  name: string,
  initializers: { name?: string | null; dataType?: number | null }[],
  nodes: Node[],
): number[] | undefined {
  type Int64Tensor = {
    dataType?: number | null;
    rawData?: Uint8Array | null;
    int64Data?: (number | { toString(): string })[] | null;
  };
  const read = (t: Int64Tensor | undefined) => {
    if (!t || t.dataType !== onnx.TensorProto.DataType.INT64) return undefined;
    if (t.rawData?.length) {
      const copy = new Uint8Array(t.rawData.length);
      copy.set(t.rawData);
      return [...new BigInt64Array(copy.buffer)].map(Number);
    }
    return t.int64Data?.map((v) => Number(v.toString()));
  };
  const init = initializers.find((i) => i.name === name) as Int64Tensor | undefined;
  if (init) return read(init);
  const constant = nodes.find((n) => n.opType === "Constant" && n.output[0] === name);
  const value = constant?.attribute.find((a) => a.name === "value")?.t;
  return read(value as Int64Tensor | undefined);
}

/** Indices of the nodes the output is computed from. */
function neededNodes(nodes: Node[], output: string): Set<number> {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const keep = new Set<number>();
  const todo = [output];
  const seen = new Set<string>();
  while (todo.length) {
    const t = todo.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const i = producer.get(t);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    todo.push(...nodes[i].input.filter(Boolean));
  }
  return keep;
}

/**
 * The nodes between a model's input and output that no gradient rule covers,
 * in graph order (empty when the input gradient can be built as far as
 * operators go). Walks the graph as vjpModel does, but past a gap, to name
 * every one at once.
 */
export function gradientGaps(
  bytes: Uint8Array,
  opts: { input?: string; output?: string } = {},
  path = "model",
): { op: string; node: string }[] {
  const info = inspectBytes(path, bytes);
  const input = opts.input ?? info.inputs[0].name;
  const output = opts.output ?? info.outputs[0].name;
  const nodes = info.proto.graph!.node as Node[];
  const dynamic = new Set([input]);
  for (const n of nodes) {
    if (n.input.some((t) => dynamic.has(t))) n.output.forEach((o) => o && dynamic.add(o));
  }
  const needed = neededNodes(nodes, output);
  const wantsGrad = new Set([output]);
  const gaps: { op: string; node: string }[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!needed.has(i) || !n.output.some((o) => wantsGrad.has(o))) continue;
    if (ZERO_GRADIENT.has(n.opType)) continue;
    const rule = RULES[n.opType];
    if (!rule) gaps.unshift({ op: n.opType, node: n.name || n.output[0] });
    n.input.forEach((t, j) => {
      if (dynamic.has(t) && (!rule || rule.differentiable.includes(j))) wantsGrad.add(t);
    });
  }
  return gaps;
}
