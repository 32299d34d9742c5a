import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "./build.ts";
import { decodeModel } from "./proto.ts";
import { randomizeWeights, withWeights } from "./randomize.ts";
import { seededRandom } from "../stats/random.ts";

/** Conv (learned weight and bias) -> Mul by a constant -> Gemm (learned weight). */
function model(): Uint8Array {
  const rand = seededRandom(3);
  const g = new GraphBuilder();
  g.input("x", ["N", 3, 8, 8]);
  g.init("conv_w", [16, 3, 3, 3], Array.from({ length: 432 }, () => 0.5 + rand()));
  g.init("conv_b", [16], Array.from({ length: 16 }, () => rand() - 0.5));
  g.init("scale", [1], [2]);
  g.init("fc_w", [5, 16 * 36], Array.from({ length: 5 * 576 }, () => 3 * rand() - 1));
  const conv = g.node("Conv", ["x", "conv_w", "conv_b"], "conv", { kernel_shape: [3, 3] });
  const scaled = g.node("Mul", [conv, "scale"], "scaled");
  const flat = g.node("Flatten", [scaled], "flat", { axis: 1 });
  g.node("Gemm", [flat, "fc_w"], "logits", { transB: 1 });
  g.output("logits", ["N", 5]);
  return g.toBytes();
}

function initializers(bytes: Uint8Array): Map<string, Float32Array> {
  const graph = decodeModel(bytes).graph as unknown as {
    initializer: { name: string; rawData: Uint8Array; floatData: number[] }[];
  };
  return new Map(graph.initializer.map((t) => [
    t.name,
    t.rawData?.length
      ? new Float32Array(new Uint8Array(t.rawData).buffer)
      : Float32Array.from(t.floatData),
  ]));
}

function moments(v: Float32Array) {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length) };
}

Deno.test("learned weights are re-drawn with each tensor's own mean and spread; constants stay", () => {
  const original = model();
  const { bytes, tensors } = randomizeWeights(original, 1);
  const before = initializers(original), after = initializers(bytes);
  assertEquals(tensors.map((t) => t.name).sort(), ["conv_b", "conv_w", "fc_w"]);
  assertEquals([...after.get("scale")!], [2]);
  for (const t of tensors) {
    const b = before.get(t.name)!, a = after.get(t.name)!;
    assertEquals(a.length, b.length);
    assert(a.some((x, i) => x !== b[i]), `${t.name} unchanged`);
    const m = moments(b);
    assert(Math.abs(t.mean - m.mean) < 1e-9 && Math.abs(t.std - m.std) < 1e-9);
    if (a.length >= 400) {
      // The draws' own moments are near the original's (a few standard errors).
      const d = moments(a);
      assert(Math.abs(d.mean - m.mean) < 5 * m.std / Math.sqrt(a.length), t.name);
      assert(Math.abs(d.std / m.std - 1) < 0.15, `${t.name}: std ${d.std} vs ${m.std}`);
    }
  }
});

Deno.test("the draws are fixed by the seed, and the re-drawn model runs", async () => {
  const original = model();
  const a = randomizeWeights(original, 1).bytes, b = randomizeWeights(original, 1).bytes;
  assertEquals(a, b);
  const c = randomizeWeights(original, 2).bytes;
  assert(initializers(c).get("fc_w")![0] !== initializers(a).get("fc_w")![0]);
  assertEquals(withWeights(original, "trained"), original);
  assertEquals(withWeights(original, { random: 1 }), a);
  const run = async (bytes: Uint8Array) => {
    const s = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", new Float32Array(3 * 64).fill(0.5), [1, 3, 8, 8]);
    const out = (await s.run({ x })).logits.data as Float32Array;
    await s.release();
    return out;
  };
  const [trained, random] = [await run(original), await run(a)];
  assertEquals(random.length, 5);
  assert(random.some((v, i) => v !== trained[i]));
});

Deno.test("a model with no learned weights cannot have a random control", () => {
  const g = new GraphBuilder();
  g.input("x", ["N", 3]);
  g.init("k", [1], [2]);
  g.node("Mul", ["x", "k"], "y");
  g.output("y", ["N", 3]);
  assertThrows(() => randomizeWeights(g.toBytes(), 1, "m.onnx"), Error, "m.onnx: no Conv");
});
