/**
 * Layer surgery on ONNX graphs: expose intermediate tensors as graph outputs
 * (onnxruntime can only fetch outputs), and split a model at a layer into a
 * head and a tail, so a stage can edit a layer's activations (zero a unit)
 * between the two and run the rest of the network on the result.
 */
import { DissectError } from "../engine/errors.ts";
import { inspectBytes, requireTensors } from "./model.ts";
import { attribute } from "./build.ts";
import { encodeModel, type INodeProto, type ModelProto, onnx } from "./proto.ts";

type ValueInfo = NonNullable<Parameters<typeof onnx.ValueInfoProto.create>[0]>;
type Info = InstanceType<typeof onnx.ValueInfoProto>;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;
type SparseTensor = InstanceType<typeof onnx.SparseTensorProto>;
/** A decoded graph: protobufjs fills every repeated field and string default. */
interface Graph {
  node: Node[];
  initializer: Tensor[];
  sparseInitializer: SparseTensor[];
  input: Info[];
  output: Info[];
  valueInfo: Info[];
}

function graphOf(model: ModelProto): Graph {
  return model.graph as unknown as Graph;
}

/** An addressable tensor of a graph and the op that makes it. */
export interface Layer {
  name: string;
  op: string;
}

/** A graph cut at a layer into a head and a tail, and the tensors that cross the cut. */
export interface Split {
  /** Graph inputs -> the boundary tensors (its outputs, in boundary order). */
  head: Uint8Array;
  /** The boundary tensors (its inputs) -> the original outputs that depend on the layer. */
  tail: Uint8Array;
  /**
   * The tensors that cross the cut: boundary[0] is the layer; any others are
   * tensors computed before it and used after it (skip connections).
   */
  boundary: string[];
}

/** The tensors nodes produce, in graph order, with the op producing each. */
export function listLayers(bytes: Uint8Array, path = "model"): Layer[] {
  const info = inspectBytes(path, bytes);
  return info.tensors.map((name) => ({ name, op: info.producers[name] }));
}

/** The model with the named tensors added as graph outputs (existing outputs stay first). */
export function exposeOutputs(bytes: Uint8Array, names: string[], path = "model"): Uint8Array {
  const info = inspectBytes(path, bytes);
  requireTensors(info, names);
  const model = info.proto;
  const g = graphOf(model);
  const describe = valueInfos(g);
  const have = new Set(g.output.map((o) => o.name));
  for (const name of names) {
    if (have.has(name)) continue;
    g.output.push(onnx.ValueInfoProto.create(describe(name)));
    have.add(name);
  }
  // value_info is for tensors that are neither inputs nor outputs.
  g.valueInfo = g.valueInfo.filter((v) => !have.has(v.name));
  return encodeModel(model);
}

/**
 * The model with only the named graph outputs (in that order). Dropped
 * outputs stay in the graph as named tensors, so they can be exposed again.
 */
export function selectOutputs(bytes: Uint8Array, names: string[], path = "model"): Uint8Array {
  const info = inspectBytes(path, bytes);
  const model = info.proto;
  const g = graphOf(model);
  const byName = new Map(g.output.map((o) => [o.name, o]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length) {
    throw new DissectError(
      "MODEL",
      `${path} has no output named ${missing.map((m) => `"${m}"`).join(", ")}`,
      `outputs: ${[...byName.keys()].join(", ")}`,
    );
  }
  const dropped = g.output.filter((o) => !names.includes(o.name));
  g.output = names.map((n) => byName.get(n)!);
  // Keep what is known of the dropped outputs' shapes as value_info.
  g.valueInfo = [...g.valueInfo, ...dropped];
  return encodeModel(model);
}

/**
 * Split a model at tensor `layer`. The tail is what an edit of `layer` can
 * change: the nodes that depend on `layer`, computing every original output
 * that does (outputs that do not depend on it are left out). Any other tensor
 * those nodes read that depends on a graph input, such as the far end of a
 * skip connection that jumps over the cut, is computed by the head and passed
 * across with `layer`: these are `boundary`. Constants (Constant nodes and
 * what is computed from them alone) are copied into the tail rather than passed.
 */
export function splitAt(bytes: Uint8Array, layer: string, path = "model"): Split {
  const info = inspectBytes(path, bytes);
  requireTensors(info, [layer]);
  const g = graphOf(info.proto);
  const reads = g.node.map(inputsOf);
  const inits = new Set(g.initializer.map((t) => t.name));
  const graphInputs = g.input.map((i) => i.name).filter((n) => !inits.has(n));
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));

  // One forward pass (ONNX nodes are topologically sorted): what depends on a
  // graph input (`dynamic`), and what depends on the layer (`after`).
  const dynamic = new Set(graphInputs);
  const after = new Set([layer]);
  g.node.forEach((n, i) => {
    if (reads[i].some((t) => dynamic.has(t))) n.output.forEach((o) => dynamic.add(o));
    if (reads[i].some((t) => after.has(t))) n.output.forEach((o) => after.add(o));
  });

  const outputs = g.output.map((o) => o.name).filter((o) => o !== layer && after.has(o));
  if (!outputs.length) {
    throw new DissectError(
      "MODEL",
      `${path}: no graph output depends on layer "${layer}", so there is no tail to split off`,
      `outputs: ${g.output.map((o) => o.name).join(", ")}`,
    );
  }
  // The tail walks back from the outputs and stops at dynamic tensors computed before the cut.
  const before = (t: string) => t === layer || (dynamic.has(t) && !after.has(t));
  const tail = walkBack(g.node, producer, outputs, before);
  const order = (t: string) => (t === layer ? -2 : producer.get(t) ?? -1);
  const boundary = [...tail.leaves]
    .filter((t) => t === layer || dynamic.has(t))
    .sort((a, b) => order(a) - order(b));
  const head = walkBack(g.node, producer, boundary, () => false);

  // The tensors crossing the cut get a symbolic batch dim (where their shape is known).
  const describe = valueInfos(g);
  const batch = g.input[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam || "N";
  const crossing = boundary.map((t) => withBatch(describe(t), batch));
  const headInputs = g.input.filter((i) => head.leaves.has(i.name) && !inits.has(i.name));
  return {
    head: part(info.proto, head.nodes, headInputs, crossing),
    tail: part(info.proto, tail.nodes, crossing, outputs.map(describe)),
    boundary,
  };
}

/** A node's inputs, including the outer names its subgraphs (If, Loop, Scan) read. */
function inputsOf(node: INodeProto): string[] {
  const names = [...(node.input ?? [])];
  for (const a of node.attribute ?? []) {
    for (const sub of [a.g, ...(a.graphs ?? [])]) {
      for (const n of sub?.node ?? []) names.push(...inputsOf(n));
    }
  }
  return names.filter(Boolean);
}

/**
 * The nodes needed to compute `roots`, walking back through producers until
 * `stop` says a tensor is given; `leaves` are the tensors read but not computed.
 */
function walkBack(
  nodes: Node[],
  producer: Map<string, number>,
  roots: string[],
  stop: (t: string) => boolean,
): { nodes: Set<number>; leaves: Set<string> } {
  const keep = new Set<number>();
  const leaves = new Set<string>();
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const t = todo.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const i = producer.get(t);
    if (i === undefined || stop(t)) {
      leaves.add(t);
    } else if (!keep.has(i)) {
      keep.add(i);
      todo.push(...inputsOf(nodes[i]));
    }
  }
  return { nodes: keep, leaves };
}

/** A copy of `model` with only the `keep` nodes, the initializers they read, and new inputs/outputs. */
function part(model: ModelProto, keep: Set<number>, inputs: ValueInfo[], outputs: ValueInfo[]) {
  const g = graphOf(model);
  const nodes = g.node.filter((_, i) => keep.has(i));
  const used = new Set(nodes.flatMap(inputsOf));
  const produced = new Set(nodes.flatMap((n) => n.output));
  const named = new Set([...inputs, ...outputs].map((v) => v.name));
  const initializer = g.initializer.filter((t) => used.has(t.name));
  const kept = new Set(initializer.map((t) => t.name));
  return encodeModel({
    ...model,
    graph: {
      ...g,
      node: nodes,
      initializer,
      sparseInitializer: g.sparseInitializer.filter((t) => used.has(t.values?.name ?? "")),
      // Models before IR 4 list initializers among the inputs too.
      input: [...inputs, ...g.input.filter((i) => kept.has(i.name))],
      output: outputs,
      valueInfo: g.valueInfo.filter((v) => produced.has(v.name) && !named.has(v.name)),
    },
  });
}

/** A copy with the first dim (if the shape is known) made symbolic: any batch size goes. */
function withBatch(info: ValueInfo, batch: string): ValueInfo {
  const dims = info.type?.tensorType?.shape?.dim;
  if (!dims?.length) return info;
  const copy = onnx.ValueInfoProto.fromObject(onnx.ValueInfoProto.toObject(info as never));
  copy.type!.tensorType!.shape!.dim![0] = { dimParam: batch };
  return copy;
}

const DataType = onnx.TensorProto.DataType;
const INT64_OPS = new Set(["Shape", "Size", "NonZero", "ArgMax", "ArgMin"]);
// Ops whose second output is int64 indices.
const INDEX_OUTPUT_OPS = new Set(["TopK", "MaxPool"]);
const BOOL_OPS = new Set(
  "Equal Less LessOrEqual Greater GreaterOrEqual Not And Or Xor IsNaN IsInf".split(" "),
);

/**
 * A value info for any tensor of the graph: the one the graph has (from shape
 * inference), else just its element type (any shape), which onnxruntime accepts.
 */
function valueInfos(g: Graph): (name: string) => ValueInfo {
  const known = new Map<string, ValueInfo>();
  for (const v of [...g.valueInfo, ...g.input, ...g.output]) if (v.type) known.set(v.name, v);
  // Element types, in one forward pass: most ops keep their first input's type.
  const types = new Map<string, number>();
  for (const t of g.initializer) types.set(t.name, t.dataType);
  for (const [name, v] of known) types.set(name, v.type?.tensorType?.elemType ?? DataType.FLOAT);
  for (const n of g.node) {
    const attr = (name: string) => n.attribute.find((a) => a.name === name);
    n.output.forEach((o, j) => {
      if (!o || types.has(o)) return;
      const op = n.opType;
      let type: number | undefined;
      if (op === "Cast") type = Number(attr("to")?.i);
      else if (op === "Constant" || op === "ConstantOfShape") {
        const a = n.attribute[0]; // value (a tensor), value_float(s) or value_int(s)
        type = a?.t?.dataType ?? (/int/.test(a?.name ?? "") ? DataType.INT64 : DataType.FLOAT);
      } else if (INT64_OPS.has(op) || (INDEX_OUTPUT_OPS.has(op) && j === 1)) type = DataType.INT64;
      else if (BOOL_OPS.has(op)) type = DataType.BOOL;
      else type = types.get(n.input[op === "Where" ? 1 : 0]);
      types.set(o, type ?? DataType.FLOAT);
    });
  }
  return (name) =>
    known.get(name) ??
      { name, type: { tensorType: { elemType: types.get(name) ?? DataType.FLOAT } } };
}

/** The name of the class-map output `withClassMaps` adds for logits output `name`. */
export const classMapOf = (name: string) => `${name}:class`;

/**
 * Adds, for each named logits output (N x K x ...), an output of its class
 * ids: the argmax over axis 1 (the first of equal maxima), as uint8, or as
 * uint16 when `pixelBytes` is 2. The runtime then does per-pixel argmax in
 * native code, and only class ids, a 4K-th (or 2K-th) of the logits' bytes,
 * cross into JavaScript. More classes than the ids hold (where the axis is
 * known) is an error.
 */
export function withClassMaps(
  bytes: Uint8Array,
  names: string[],
  path = "model",
  pixelBytes: 1 | 2 = 1,
): Uint8Array {
  const info = inspectBytes(path, bytes);
  requireTensors(info, names);
  const model = info.proto;
  const g = graphOf(model);
  for (const name of names) {
    const dim = g.output.find((o) => o.name === name)?.type?.tensorType?.shape?.dim?.[1];
    const most = pixelBytes === 2 ? 65536 : 256;
    if (dim?.dimValue != null && Number(dim.dimValue) > most) {
      throw new DissectError(
        "MODEL",
        `${path}: output "${name}" must have at most ${most} classes on axis 1 to give ` +
          `${pixelBytes === 2 ? "16-bit" : "byte"} class maps`,
      );
    }
    const type = pixelBytes === 2
      ? onnx.TensorProto.DataType.UINT16
      : onnx.TensorProto.DataType.UINT8;
    const argmax = `${name}:argmax`;
    g.node.push(
      onnx.NodeProto.create({
        name: argmax,
        opType: "ArgMax",
        input: [name],
        output: [argmax],
        attribute: [attribute("axis", 1), attribute("keepdims", 0)],
      }),
      onnx.NodeProto.create({
        name: classMapOf(name),
        opType: "Cast",
        input: [argmax],
        output: [classMapOf(name)],
        attribute: [attribute("to", type)],
      }),
    );
    g.output.push(onnx.ValueInfoProto.create({
      name: classMapOf(name),
      type: { tensorType: { elemType: type } },
    }));
  }
  return encodeModel(model);
}
