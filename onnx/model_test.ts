import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "../tests/assert.ts";
import { GraphBuilder } from "./build.ts";
import { DissectError } from "../engine/errors.ts";
import { scratchDir } from "../tests/helpers.ts";
import {
  createSession,
  featureMapShape,
  inspectBytes,
  inspectModel,
  layerNames,
  requireInput,
  requireTensors,
} from "./model.ts";

/** 1x1 conv with 2 output channels, then Relu, named like a zoo layer. */
function tinyModel(): Uint8Array {
  const g = new GraphBuilder();
  g.input("image", ["N", 3, 4, 4]);
  g.init("w", [2, 3, 1, 1], [1, 0, 0, 0, -1, 0]);
  g.init("b", [2], [0, 0.5]);
  const conv = g.node("Conv", ["image", "w", "b"], "conv1_1_pre", { kernel_shape: [1, 1] });
  g.node("Relu", [conv], "conv1_1");
  g.output("conv1_1", ["N", 2, 4, 4]);
  return g.toBytes({ metadata: { labels: '["a","b"]' } });
}

Deno.test("a built model inspects and runs in onnxruntime", async () => {
  const bytes = tinyModel();
  const info = inspectBytes("tiny.onnx", bytes);
  assertEquals(info.inputs, [{ name: "image", dims: ["N", 3, 4, 4] }]);
  assertEquals(info.tensors, ["conv1_1_pre", "conv1_1"]);
  assertEquals(info.metadata.labels, '["a","b"]');
  const session = await createSession("tiny.onnx", bytes, 1);
  const x = new Float32Array(3 * 16).map((_, i) => (i < 16 ? i - 8 : i >= 16 && i < 32 ? 1 : 0));
  const out = await session.run({ image: new ort.Tensor("float32", x, [1, 3, 4, 4]) });
  const y = out.conv1_1.data as Float32Array;
  assertEquals(y[0], 0, "relu(-8)");
  assertEquals(y[15], 7, "relu(7)");
  assertEquals(y[16], 0, "relu(-1 + 0.5)");
});

Deno.test("a corrupt or missing model file is an error naming the file", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const corrupt = join(dir, "broken.onnx");
  await Deno.writeFile(corrupt, new TextEncoder().encode("this is not a protobuf at all"));
  const e = await assertRejects(() => inspectModel(corrupt));
  assertMatch(e.message, /broken\.onnx is not a valid ONNX file/);
  const truncated = join(dir, "truncated.onnx");
  await Deno.writeFile(truncated, tinyModel().slice(0, 40));
  assertMatch(
    (await assertRejects(() => inspectModel(truncated))).message,
    /truncated\.onnx is not a valid ONNX file/,
  );
  assertMatch(
    (await assertRejects(() => inspectModel(join(dir, "gone.onnx")))).message,
    /model file not found: .*gone\.onnx/,
  );
});

Deno.test("a wrong layer name or input shape is an error listing what exists", () => {
  const info = inspectBytes("tiny.onnx", tinyModel());
  requireTensors(info, ["conv1_1"]);
  try {
    requireTensors(info, ["conv9_9"]);
    assert(false, "should have thrown");
  } catch (e) {
    assertMatch((e as Error).message, /tiny\.onnx has no layer named "conv9_9"/);
    assertMatch((e as { hint: string }).hint, /conv1_1_pre, conv1_1/);
  }
  requireInput(info, { dims: [null, 3, 4, 4] });
  try {
    requireInput(info, { dims: [null, 3, 64, 64] });
    assert(false, "should have thrown");
  } catch (e) {
    assertMatch((e as Error).message, /input "image" has shape Nx3x4x4, expected Nx3x64x64/);
  }
});

Deno.test("a layer's output is a feature map NxCxHxW, or a MODEL error naming it", () => {
  assertEquals(featureMapShape("m.onnx", "conv5", [2, 64, 4, 5]), {
    units: 64,
    height: 4,
    width: 5,
  });
  assertThrows(
    () => featureMapShape("m.onnx", "fc7", [2, 512]),
    DissectError,
    'm.onnx: layer "fc7" is 2x512, not a feature map NxCxHxW',
  );
});

Deno.test("the layers listed for a wrong name: the author's names, or an exporter's when there are none", () => {
  // A torch-style export: every layer named by the exporter, only the output named by hand.
  const g = new GraphBuilder();
  g.input("image", ["N", 3, 4, 4]);
  g.init("w", [2, 3, 1, 1], [1, 0, 0, 0, -1, 0]);
  const conv = g.node("Conv", ["image", "w"], "/features/features.0/Conv_output_0", {
    kernel_shape: [1, 1],
  });
  const relu = g.node("Relu", [conv], "/features/features.1/Relu_output_0");
  const flat = g.node("Flatten", [
    g.node("GlobalAveragePool", [relu], "/pool/GlobalAveragePool_output_0"),
  ], "/Flatten_output_0");
  g.node("Identity", [flat], "logits");
  g.output("logits", ["N", 2]);
  const info = inspectBytes("torch.onnx", g.toBytes());
  assertEquals(
    layerNames(info),
    "/features/features.0/Conv_output_0, /features/features.1/Relu_output_0, /pool/GlobalAveragePool_output_0",
  );
  assertEquals(layerNames(inspectBytes("tiny.onnx", tinyModel())), "conv1_1_pre, conv1_1");
  assertEquals(
    layerNames(info, 2),
    "/features/features.0/Conv_output_0, /features/features.1/Relu_output_0, ... (1 more)",
  );
});
