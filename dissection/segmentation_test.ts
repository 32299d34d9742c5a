import { assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { checkAligned } from "./segmentation.ts";

Deno.test("a dissection's inputs must describe the same images, square and of one size", () => {
  const seg = { count: 4, height: 8, width: 8 };
  checkAligned("iou", 4, seg, { count: 4, height: 8, width: 8 });
  assertThrows(
    () => checkAligned("iou", 5, seg, { count: 4, height: 8, width: 8 }),
    DissectError,
    "iou: activations (5 images), segmentation (4) and data (4) must describe the same images",
  );
  assertThrows(
    () => checkAligned("iou", 4, seg, { count: 4, height: 16, width: 16 }),
    DissectError,
    "images (16x16) and segmentation (8x8) must be square and of one size",
  );
});
