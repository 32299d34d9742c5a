import { assertEquals, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { visualized } from "./count_concepts.ts";

Deno.test("the layers drawn: those named, else the last; a name not dissected is refused naming the layers", () => {
  const layers = ["conv1", "conv2", "conv3"];
  assertEquals(visualized("iou", [], layers), new Set(["conv3"]));
  assertEquals(visualized("iou", ["conv1", "conv2"], layers), new Set(["conv1", "conv2"]));
  assertThrows(
    () => visualized("iou-val", ["conv9"], layers),
    DissectError,
    'iou-val: visualize names layer "conv9", which is not among the dissected layers (conv1, conv2, conv3)',
  );
});
