/**
 * Checking a gradient graph against the model it came from: the directional
 * derivative seed . J v from the graph, against central finite differences
 * (L(x + h v) - L(x - h v)) / 2h of L = seed . f.
 *
 * The direction v follows the signs of the computed gradient over a random
 * patch of the image: the derivative along it is then as large as it can be
 * against float32 rounding (random signs mostly cancel, leaving a derivative
 * the rounding of L swamps), and a wrong magnitude or sign of the gradient
 * anywhere on the patch changes the true derivative along v and is caught.
 *
 * ReLU networks are piecewise linear: a step that crosses a kink (a unit
 * changing sign, a max-pool changing its pick) makes the difference wrong
 * by a lot. So the step is halved until two successive estimates agree,
 * which happens once the segment lies within one linear piece (or, for a
 * smooth function, once the O(h^2) error is small). A perturbation confined
 * to a patch of the image crosses far fewer kinks than one spread over all
 * of it, and changes more than float32 rounding at a usable step.
 */
import * as ort from "onnxruntime-node";
import { seededRandom } from "../stats/random.ts";
import { vjpModel } from "./gradient.ts";
import { exposeOutputs } from "./surgery.ts";
import { inspectBytes } from "./model.ts";
import { encodeModel } from "./proto.ts";
import { Emitter } from "./gradient_emit.ts";
import type { Node } from "./gradient_rules.ts";

/** How a gradient graph compared with finite differences. */
export interface CheckResult {
  /** Relative error per direction: |fd - vjp| / max(|fd|, |vjp|). */
  errors: number[];
  /** The step each direction settled at. */
  steps: number[];
  worst: number;
}

/** How many random directions, from which step, with which seed. */
export interface CheckOptions {
  directions: number;
  /** The first step; halved up to `halvings` times until estimates agree. */
  step: number;
  seed: number;
  /** Perturb only a patch x patch square (all channels) at a random place; all of the input when absent. */
  patch?: number;
  halvings?: number;
  /** The output (or layer) to differentiate; the model's first output when absent. */
  output?: string;
  /**
   * Take the differences on the linear piece the model is on at x (see
   * freezePiece), along random sign vectors: exact for ReLU networks, where
   * differences on the model itself are swamped by kinks and rounding.
   */
  linearPiece?: boolean;
}

/** Compares a gradient graph with central finite differences along random directions. */
export async function directionalCheck(
  bytes: Uint8Array,
  dims: number[],
  opts: CheckOptions,
): Promise<CheckResult> {
  const model = opts.output ? exposeOutputs(bytes, [opts.output]) : bytes;
  const v = vjpModel(model, { output: opts.output });
  const backward = await ort.InferenceSession.create(v.bytes);
  const next = seededRandom(opts.seed);
  const size = dims.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: size }, () => next() * 2 - 1);
  const forward = await ort.InferenceSession.create(
    opts.linearPiece ? await freezePiece(model, dims, x) : model,
  );
  const run = async (input: Float32Array) =>
    (await forward.run({ [v.input]: new ort.Tensor("float32", input, dims) }, [v.output]))[
      v.output
    ];
  const y = await run(x);
  const seed = Float32Array.from({ length: y.data.length }, () => next() * 2 - 1);
  const loss = async (input: Float32Array) => dot((await run(input)).data as Float32Array, seed);
  const out = await backward.run({
    [v.input]: new ort.Tensor("float32", x, dims),
    [v.seed]: new ort.Tensor("float32", seed, y.dims),
  });
  const grad = out[v.grad].data as Float32Array;

  const central = async (dir: Float32Array, h: number) => {
    const plus = x.map((a, i) => a + h * dir[i]);
    const minus = x.map((a, i) => a - h * dir[i]);
    return (await loss(plus) - await loss(minus)) / (2 * h);
  };
  const relative = (a: number, b: number) =>
    Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);

  const errors: number[] = [], steps: number[] = [];
  for (let d = 0; d < opts.directions; d++) {
    const dir = opts.linearPiece
      ? Float32Array.from({ length: size }, () => (next() < 0.5 ? -1 : 1))
      : direction(dims, next, grad, opts.patch);
    // Agreement is judged against the size of the terms, as the sum may cancel.
    let scale = 0;
    for (let i = 0; i < size; i++) scale += Math.abs(grad[i] * dir[i]);
    let h = opts.step;
    let fd = await central(dir, h);
    for (let k = 0; k < (opts.halvings ?? 8); k++) {
      const finer = await central(dir, h / 2);
      const settled = Math.abs(finer - fd) <= 1e-5 * scale;
      h /= 2;
      fd = finer;
      if (settled) break;
    }
    errors.push(relative(fd, dot(grad, dir)));
    steps.push(h);
  }
  return { errors, steps, worst: Math.max(...errors) };
}

/** The gradient's signs, over half of the input or over one patch of its last two axes. */
function direction(
  dims: number[],
  next: () => number,
  grad: Float32Array,
  patch?: number,
): Float32Array {
  const size = dims.reduce((a, b) => a * b, 1);
  // Without a patch, a random half of the input, so that directions differ.
  if (!patch) return grad.map((g) => (next() < 0.5 ? Math.sign(g) : 0));
  const [h, w] = dims.slice(-2);
  const y0 = Math.floor(next() * (h - patch + 1)), x0 = Math.floor(next() * (w - patch + 1));
  const dir = new Float32Array(size);
  for (let plane = 0; plane < size / (h * w); plane++) {
    for (let y = y0; y < y0 + patch; y++) {
      for (let x = x0; x < x0 + patch; x++) {
        const i = plane * h * w + y * w + x;
        dir[i] = Math.sign(grad[i]);
      }
    }
  }
  return dir;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * A ReLU network is piecewise linear; at a given input it sits on one linear
 * piece. `freezePiece` returns that piece as a model of its own: every Relu
 * and LeakyRelu becomes a multiplication by the 0/1 (or 1/alpha) pattern it
 * had at `x`, every MaxPool a gather of the cells it picked at `x`. The
 * result equals the model at `x` and is exactly linear in the input, so
 * finite differences on it need no small step and suffer no kinks.
 */
export async function freezePiece(
  bytes: Uint8Array,
  dims: number[],
  x: Float32Array,
): Promise<Uint8Array> {
  const info = inspectBytes("model", bytes);
  const nodes = info.proto.graph!.node as Node[];
  const relus = nodes.filter((n) => n.opType === "Relu" || n.opType === "LeakyRelu");
  const pools = nodes.filter((n) => n.opType === "MaxPool");
  const clips = nodes.filter((n) => n.opType === "Clip");
  // One run gives every Relu's input, every MaxPool's picks and every Clip's input and output.
  for (const p of pools) if (!p.output[1]) p.output[1] = `${p.output[0]}:picks`;
  const probe = exposeOutputs(
    encodeModel(info.proto),
    [
      ...relus.map((n) => n.input[0]),
      ...pools.map((n) => n.output[1]),
      ...clips.flatMap((n) => [n.input[0], n.output[0]]),
    ],
  );
  const session = await ort.InferenceSession.create(probe);
  const seen = await session.run({ [info.inputs[0].name]: new ort.Tensor("float32", x, dims) });

  const e = new Emitter("frozen/");
  const frozen = nodes.flatMap((n) => {
    if (n.opType === "Relu" || n.opType === "LeakyRelu") {
      const pre = seen[n.input[0]];
      const alpha = n.opType === "Relu"
        ? 0
        : Number(n.attribute.find((a) => a.name === "alpha")?.f ?? 0.01);
      const pattern = Array.from(pre.data as Float32Array, (v) => (v > 0 ? 1 : alpha));
      const mask = e.f32(pattern, pre.dims as number[]);
      return [{ opType: "Mul", name: n.name, input: [n.input[0], mask], output: [n.output[0]] }];
    }
    if (n.opType === "Clip") {
      // Where x was inside the bounds y = x; elsewhere y is the bound: y = x * mask + offset.
      const x = seen[n.input[0]].data as Float32Array, y = seen[n.output[0]].data as Float32Array;
      const dims = seen[n.input[0]].dims as number[];
      const mask = e.f32(Array.from(x, (v, i) => (v === y[i] ? 1 : 0)), dims);
      const offset = e.f32(Array.from(x, (v, i) => (v === y[i] ? 0 : y[i])), dims);
      const scaled = e.op("Mul", [n.input[0], mask]);
      const made = e.nodes.splice(0);
      return [...made, {
        opType: "Add",
        name: n.name,
        input: [scaled, offset],
        output: [n.output[0]],
      }];
    }
    if (n.opType === "MaxPool") {
      const picks = seen[n.output[1]];
      const flat = e.op("Reshape", [n.input[0], e.i64([-1])]);
      const at = e.i64(Array.from(picks.data as BigInt64Array, Number));
      const picked = e.op("GatherElements", [flat, at], { axis: 0 });
      const shape = e.i64(picks.dims as number[]);
      // The gather nodes go here, in order, before the node that reads them.
      const gather = e.nodes.splice(0);
      return [...gather, {
        opType: "Reshape",
        name: n.name,
        input: [picked, shape],
        output: [n.output[0]],
      }];
    }
    return [n];
  });
  const g = info.proto.graph!;
  return encodeModel({
    ...info.proto,
    graph: { ...g, node: frozen, initializer: [...(g.initializer ?? []), ...e.initializers] },
  });
}
