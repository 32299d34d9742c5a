import { assertEquals } from "../tests/assert.ts";
import { GraphBuilder } from "./build.ts";
import { listLayers } from "./layer_list.ts";

/** Image (open H, W) -> conv -> relu -> elu, concatenated with the relu -> pool. */
function net(): Uint8Array {
  const g = new GraphBuilder();
  g.input("image", ["N", 3, "H", "W"]);
  g.init("w", [2, 3, 1, 1], [1, 0, 0, 0, 1, 0]);
  const conv = g.node("Conv", ["image", "w"], "/block/Conv_output_0", { kernel_shape: [1, 1] });
  const relu = g.node("Relu", [conv], "relu");
  const soft = g.node("Elu", [relu], "/block/Elu_output_0");
  const cat = g.node("Concat", [relu, soft], "joined", { axis: 1 });
  g.node("GlobalAveragePool", [cat], "pooled");
  g.output("pooled", ["N", 4, 1, 1]);
  return g.toBytes();
}

Deno.test("a model's layers in graph order with op and shape, and the nodes no gradient rule covers", async () => {
  const list = await listLayers("net.onnx", net(), 8);
  assertEquals(list.input, { name: "image", dims: [1, 3, 8, 8] });
  assertEquals(list.layers, [
    { name: "/block/Conv_output_0", op: "Conv", dims: [1, 2, 8, 8] },
    { name: "relu", op: "Relu", dims: [1, 2, 8, 8] },
    { name: "/block/Elu_output_0", op: "Elu", dims: [1, 2, 8, 8] },
    { name: "joined", op: "Concat", dims: [1, 4, 8, 8] },
    { name: "pooled", op: "GlobalAveragePool", dims: [1, 4, 1, 1] },
  ]);
  // Concat has a rule; Elu has none.
  assertEquals(list.gradientGaps.map((g) => g.op), ["Elu"]);
});
