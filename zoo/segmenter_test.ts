/**
 * The shipped segmenter (zoo/models/segmenter.onnx) takes images of any
 * multiple of 16 px (issue 17). It was trained and first exported at a fixed
 * 64x64 and converted by zoo/train/dynamic_size.py; at 64 px it must label as
 * that file did.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals } from "../tests/assert.ts";
import { inspectBytes } from "../onnx/model.ts";
import { Segmenter } from "../dissection/segmenter.ts";
import { PLANES } from "../dissection/concepts.ts";
import { renderItem } from "../world/render.ts";
import { splitItem } from "../world/splits.ts";

const PATH = new URL("./models/segmenter.onnx", import.meta.url).pathname;
const N = 16;

/** The first N world (v1) val images at `size` px, and their true object maps. */
function valImages(size: number) {
  const items = Array.from(
    { length: N },
    (_, i) => renderItem("val", splitItem("val", i, 1), size),
  );
  const rgb = new Uint8Array(N * size * size * 3);
  items.forEach((r, i) => rgb.set(r.rgb, i * size * size * 3));
  return { items, rgb };
}

Deno.test("the shipped segmenter takes any multiple of 16 px and labels 64 px as the 64 px file did", async () => {
  const bytes = await Deno.readFile(PATH);
  const info = inspectBytes(PATH, bytes);
  assertEquals(info.inputs[0].dims, ["batch", 3, "height", "width"]);
  assertEquals(info.metadata.size_multiple, "16");
  // Planes of the fixed-size file (sha256 8d9ce99a…51af) on these images, 1 or 2 threads alike.
  const seg64 = await Segmenter.open(PATH, bytes, 64, 1);
  const { planes } = await seg64.segment(valImages(64).rgb, N);
  await seg64.release();
  assertEquals(
    createHash("sha256").update(planes).digest("hex"),
    "ac69e5b4effdc544ab485321e2d327df0a0272e098049ba2d2abb5733ae45ae5",
  );
  for (const size of [112, 224]) {
    const seg = await Segmenter.open(PATH, bytes, size, 1);
    const { items, rgb } = valImages(size);
    const got = await seg.segment(rgb, N);
    await seg.release();
    const px = size * size;
    assertEquals(got.planes.length, N * PLANES.length * px);
    let right = 0;
    items.forEach((r, i) => {
      for (let p = 0; p < px; p++) if (got.maps.object[i * px + p] === r.object[p]) right++;
    });
    // Trained at 64 px only: 0.97 of object pixels right there, 0.84 at 112 and 0.57 at 224
    // (its objects are then larger than any it saw); 112 px must stay a usable segmentation.
    if (size === 112) assert(right / (N * px) > 0.8, `object pixel accuracy ${right / (N * px)}`);
  }
});
