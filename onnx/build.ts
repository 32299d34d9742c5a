/**
 * A small ONNX graph builder: enough to write test models by hand (planted
 * units, skip connections) and, later, derived graphs. Float32 tensors only.
 */
import { encodeModel, type INodeProto, onnx } from "./proto.ts";

/** An ONNX attribute value GraphBuilder accepts. */
export type Attr =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | { tensor: number[] };
type Dims = (number | string)[];

const AttrType = onnx.AttributeProto.AttributeType;

/** An ONNX attribute from a plain value (ints, floats, a string). */
export function attribute(name: string, v: Attr) {
  if (typeof v === "string") return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") return { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ("float" in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ("tensor" in v) {
    const data = Float32Array.from(v.tensor);
    const t = { dims: [data.length], dataType: 1, rawData: new Uint8Array(data.buffer) };
    return { name, type: AttrType.TENSOR, t };
  }
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

/** A tensor's name, element type (float32 unless given) and dims, as a graph input or output. */
export function valueInfo(
  name: string,
  dims: Dims,
  elemType: number = onnx.TensorProto.DataType.FLOAT,
) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

/** Builds small ONNX graphs in code (tests, heads and tails). */
export class GraphBuilder {
  #nodes: INodeProto[] = [];
  #inits: object[] = [];
  #inputs: object[] = [];
  #outputs: object[] = [];
  #count = 0;

  input(name: string, dims: Dims): string {
    this.#inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: Dims = []): string {
    this.#outputs.push(
      dims.length ? valueInfo(name, dims) : { name, type: { tensorType: { elemType: 1 } } },
    );
    return name;
  }

  /** A float32 constant (weights). */
  init(name: string, dims: number[], data: ArrayLike<number>): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new Error(`initializer ${name}: ${data.length} values for dims ${dims}`);
    }
    const f32 = Float32Array.from(data);
    this.#inits.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(f32.buffer),
    });
    return name;
  }

  /** An int64 constant (shapes, axes). */
  initInt64(name: string, dims: number[], data: number[]): string {
    const i64 = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.#inits.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(i64.buffer),
    });
    return name;
  }

  /** Add a node; returns its (first) output name. */
  node(
    op: string,
    inputs: string[],
    outputs?: string[] | string,
    attrs: Record<string, Attr> = {},
  ): string {
    const outs = typeof outputs === "string"
      ? [outputs]
      : outputs ?? [`${op.toLowerCase()}_${++this.#count}`];
    this.#nodes.push({
      opType: op,
      name: `${op}_${this.#nodes.length}`,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs[0];
  }

  toBytes(opts: { opset?: number; metadata?: Record<string, string> } = {}): Uint8Array {
    return encodeModel({
      irVersion: 8,
      producerName: "dissect",
      opsetImport: [{ domain: "", version: opts.opset ?? 17 }],
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: "graph",
        node: this.#nodes,
        initializer: this.#inits,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
  }
}
