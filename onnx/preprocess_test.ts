import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { GraphBuilder } from "./build.ts";
import { inspectBytes, type ModelInfo } from "./model.ts";
import type { DissectError } from "../engine/errors.ts";
import {
  gradientToPixels,
  labelsByName,
  PLAIN,
  planarToInput,
  preprocessOf,
  toTensorData,
} from "./preprocess.ts";

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

// Channel statistics that differ, so a pixel normalized with another channel's shows.
const IMAGENET = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  layout: "NCHW" as const,
  range: [-1, 2] as [number, number],
};

Deno.test("planar pixels in [0, 1] become the same model input as the bytes they came from", () => {
  const n = 4, h = 2, w = 3, px = h * w;
  const rgb = Uint8Array.from({ length: n * px * 3 }, (_, k) => (k * 37 + 11) % 256);
  // The same images as planar floats: [n, 3, h, w], each byte / 255.
  const planar = new Float32Array(n * 3 * px);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < px; k++) planar[(i * 3 + c) * px + k] = rgb[(i * px + k) * 3 + c] / 255;
    }
  }
  const want = toTensorData(rgb, n, h, w, IMAGENET);
  const got = planarToInput(planar, h, w, IMAGENET);
  for (let k = 0; k < want.length; k++) {
    assert(Math.abs(got[k] - want[k]) < 1e-5, `entry ${k}: ${got[k]} vs ${want[k]}`);
  }
});

Deno.test("a gradient on the model input goes back to pixels by each channel's scale", () => {
  const n = 3, h = 1, w = 2, px = h * w;
  const pixels = Float32Array.from({ length: n * 3 * px }, (_, k) => (k % 7) / 7);
  const step = 1e-3;
  const grad = new Float32Array(n * 3 * px).fill(1);
  gradientToPixels(grad, h, w, IMAGENET);
  // d(sum of the input)/d pixel, by finite differences, pixel by pixel.
  const sum = (x: Float32Array) => planarToInput(x, h, w, IMAGENET).reduce((a, b) => a + b, 0);
  for (let k = 0; k < pixels.length; k++) {
    const up = pixels.slice(), down = pixels.slice();
    up[k] += step;
    down[k] -= step;
    const fd = (sum(up) - sum(down)) / (2 * step);
    assert(Math.abs(fd - grad[k]) < 1e-2 * grad[k], `pixel ${k}: ${grad[k]} vs ${fd}`);
  }
});

Deno.test("data labels the model does not know are named, with Places365's prefixes pointed out", () => {
  const info = (labels: string[]) =>
    ({ path: "m.onnx", metadata: { labels: JSON.stringify(labels) } }) as unknown as ModelInfo;
  const places = info(["/a/abbey", "/a/airfield", "/b/beach"]);
  const e = (() => {
    try {
      labelsByName(places, ["beach", "abbey"]);
    } catch (err) {
      return err as DissectError;
    }
  })()!;
  assertEquals(e.message, "m.onnx does not know the data set's label(s) beach, abbey");
  assertMatch(e.hint!, /Places365's "\/a\/" prefixes/);
  const many = info(Array.from({ length: 40 }, (_, i) => `class_${i}`));
  const f = (() => {
    try {
      labelsByName(many, ["dog"]);
    } catch (err) {
      return err as DissectError;
    }
  })()!;
  assertMatch(f.hint!, /^its labels \(40\): class_0, .*class_11, \.\.\.$/);
});
