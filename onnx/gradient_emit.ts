/**
 * Writing the nodes of a backward pass: fresh tensor names, cached constants,
 * and the shape plumbing several gradient rules share (fitting a transposed
 * convolution back onto its input, undoing broadcasting), all with standard
 * ONNX operators and shapes read at run time, so any batch or image size goes.
 */
import { type Attr, attribute } from "./build.ts";
import { type INodeProto, onnx } from "./proto.ts";

type Initializer = InstanceType<typeof onnx.TensorProto>;

/** Writes the nodes and constants of a backward pass with fresh names. */
export class Emitter {
  readonly nodes: INodeProto[] = [];
  readonly initializers: Initializer[] = [];
  #count = 0;
  #constants = new Map<string, string>();

  constructor(readonly prefix = "vjp/") {}

  fresh(hint: string): string {
    return `${this.prefix}${hint}_${++this.#count}`;
  }

  /** Add a node; returns its output names (`outputs` of them). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const out = Array.from({ length: outputs }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({
      opType: op,
      name: this.fresh(op),
      input: inputs,
      output: out,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** A one-output node. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /** A float32 constant, shared by every rule that asks for the same one. */
  f32(values: number[], dims: number[] = []): string {
    return this.#constant("f32", values, dims, () =>
      onnx.TensorProto.create({
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(Float32Array.from(values).buffer),
      }));
  }

  /** An int64 constant (shapes, axes, indices). */
  i64(values: number[], dims: number[] = [values.length]): string {
    return this.#constant("i64", values, dims, () =>
      onnx.TensorProto.create({
        dims,
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
      }));
  }

  #constant(kind: string, values: number[], dims: number[], make: () => Initializer): string {
    const key = `${kind}:${dims.join(",")}:${values.join(",")}`;
    let name = this.#constants.get(key);
    if (!name) {
      name = this.fresh(`const_${kind}`);
      const t = make();
      t.name = name;
      this.initializers.push(t);
      this.#constants.set(key, name);
    }
    return name;
  }

  /** Sum of gradient contributions (one needs no node). */
  sum(terms: string[]): string {
    return terms.length === 1 ? terms[0] : this.op("Sum", terms);
  }

  /** gy reshaped to x's shape (Flatten, Reshape, Squeeze, Unsqueeze). */
  reshapeLike(gy: string, x: string): string {
    return this.op("Reshape", [gy, this.op("Shape", [x])]);
  }

  /**
   * A full transposed convolution `t` ([N, C, L...], no padding removed)
   * cut to x's spatial size: drop `begin` padding cells in front, then the
   * tail beyond x's size; cells at x's end that no window read get zeros.
   */
  fitSpatial(t: string, x: string, begin: number[]): string {
    const spatial = begin.map((_, i) => i + 2);
    const starts = this.i64(begin);
    const ends = this.op("Add", [starts, this.op("Shape", [x], { start: 2 })]);
    const cut = this.op("Slice", [t, starts, ends, this.i64(spatial)]);
    const missing = this.op("Sub", [this.op("Shape", [x]), this.op("Shape", [cut])]);
    const pads = this.op("Concat", [this.op("Sub", [missing, missing]), missing], { axis: 0 });
    return this.op("Pad", [cut, pads]);
  }

  /**
   * The gradient `g` of a broadcast result summed back to the shape of
   * operand `x`: over the leading axes x lacks, then over the axes where x
   * has size 1. Shapes are read at run time; with equal shapes both sums
   * are empty and do nothing.
   */
  unbroadcast(g: string, x: string): string {
    const gShape = this.op("Shape", [g]);
    const xShape = this.op("Shape", [x]);
    const lead = this.op("Sub", [this.op("Size", [gShape]), this.op("Size", [xShape])]);
    const leadAxes = this.op("Range", [this.i64([0], []), lead, this.i64([1], [])]);
    const g1 = this.op("ReduceSum", [g, leadAxes], { keepdims: 0, noop_with_empty_axes: 1 });
    const one = this.i64([1], []);
    const spread = this.op("And", [
      this.op("Equal", [xShape, one]),
      this.op("Not", [this.op("Equal", [this.op("Shape", [g1]), one])]),
    ]);
    const axes = this.op("Reshape", [this.op("NonZero", [spread]), this.i64([-1])]);
    const g2 = this.op("ReduceSum", [g1, axes], { keepdims: 1, noop_with_empty_axes: 1 });
    return this.op("Reshape", [g2, xShape]);
  }
}
