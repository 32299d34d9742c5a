import { assertEquals, assertMatch } from "../tests/assert.ts";
import { GraphBuilder } from "./build.ts";
import { inspectBytes } from "./model.ts";
import { PLAIN, preprocessOf, toTensorData } from "./preprocess.ts";

function modelWith(metadata: Record<string, string>) {
  const g = new GraphBuilder();
  g.input("image", ["N", 3, 2, 2]);
  g.node("Relu", ["image"], "out");
  g.output("out");
  return inspectBytes("m.onnx", g.toBytes({ metadata }));
}

Deno.test("preprocess comes from the model's metadata, or plain [0,1] RGB", () => {
  assertEquals(preprocessOf(modelWith({})), PLAIN);
  const p = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], layout: "NCHW", range: [0, 1] };
  assertEquals(preprocessOf(modelWith({ preprocess: JSON.stringify(p) })), p);
  try {
    preprocessOf(modelWith({ preprocess: '{"mean": [1]}' }));
    throw new Error("should have thrown");
  } catch (e) {
    assertMatch((e as Error).message, /m\.onnx: metadata "preprocess" is invalid/);
  }
});

Deno.test("interleaved RGB bytes become normalized NCHW floats", () => {
  // one 1x2 image: pixel 0 = (255, 0, 51), pixel 1 = (0, 255, 102)
  const rgb = new Uint8Array([255, 0, 51, 0, 255, 102]);
  const p = {
    mean: [0.5, 0, 0],
    std: [0.5, 1, 1],
    layout: "NCHW" as const,
    range: [0, 1] as [number, number],
  };
  const t = toTensorData(rgb, 1, 1, 2, p);
  assertEquals(Array.from(t).map((v) => Math.round(v * 100) / 100), [1, -1, 0, 1, 0.2, 0.4]);
});
