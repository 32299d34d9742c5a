import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { scratchDir, writeTree } from "../tests/helpers.ts";
import { encodePng } from "./png.ts";
import {
  decodeImage,
  firstPerLabel,
  listImageFolder,
  readClassNames,
  readImageList,
} from "./image_folder.ts";

/** A w x h PNG of one colour. */
const png = (w: number, h: number, rgb: [number, number, number]) =>
  encodePng(Uint8Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3]), w, h);

const folder = writeTree;

Deno.test("a folder's images in path order, labeled by their top-level subfolder; other files skipped", async () => {
  await using tmp = await scratchDir();
  const root = await folder(tmp.path, {
    "forest/b.png": png(2, 2, [0, 90, 0]),
    "beach/a.png": png(2, 2, [200, 200, 0]),
    "forest/deep/c.PNG": png(2, 2, [0, 50, 0]),
    "forest/notes.txt": "not an image",
    ".hidden/x.png": png(2, 2, [0, 0, 0]),
  });
  const { images, labels } = await listImageFolder(root, "subfolders", "my-folder");
  assertEquals(labels, ["beach", "forest"]);
  assertEquals(images.map((i) => [i.relative, i.label]), [
    ["beach/a.png", 0],
    ["forest/b.png", 1],
    ["forest/deep/c.PNG", 1],
  ]);
  const unlabeled = await listImageFolder(root, "none", "my-folder");
  assertEquals([unlabeled.labels, unlabeled.images.map((i) => i.label)], [["image"], [0, 0, 0]]);
});

Deno.test("an empty folder, or an image outside any class folder, is a DATA error naming the folder", async () => {
  await using tmp = await scratchDir();
  await assertRejects(
    async () =>
      listImageFolder(await folder(join(tmp.path, "empty"), { "a.txt": "x" }), "none", "my-folder"),
    (e) => {
      assertEquals((e as DissectError).code, "DATA");
      assertEquals(e.message.startsWith("my-folder: no image files"), true);
    },
  );
  const loose = await folder(join(tmp.path, "loose"), {
    "a.png": png(2, 2, [1, 2, 3]),
    "c/b.png": png(2, 2, [1, 2, 3]),
  });
  await assertRejects(
    () => listImageFolder(loose, "subfolders", "my-folder"),
    (e) =>
      assertEquals(
        e.message,
        'my-folder: with labels "subfolders", every image must be inside a class folder',
      ),
  );
});

Deno.test("images decode to size x size RGB, center-cropped; a corrupt file is named", async () => {
  await using tmp = await scratchDir();
  const root = await folder(tmp.path, {
    "wide.png": png(8, 4, [10, 20, 30]),
    "bad.png": "not a png",
  });
  const rgb = await decodeImage(join(root, "wide.png"), 4);
  assertEquals(rgb.length, 4 * 4 * 3);
  assertEquals([...rgb.subarray(0, 3)], [10, 20, 30]);
  await assertRejects(
    () => decodeImage(join(root, "bad.png"), 4),
    (e) => assertEquals(e.message.startsWith(`cannot decode image ${join(root, "bad.png")}`), true),
  );
});

Deno.test("class names: one per line, or 'name index' lines in any order; gaps and repeats refused", async () => {
  await using tmp = await scratchDir();
  const root = await folder(tmp.path, {
    "plain.txt": "beach\nforest\n\n",
    "places.txt": "/f/forest 1\n/b/beach 0\n",
    "gap.txt": "a 0\nb 2\n",
    "twice.txt": "a 0\nb 0\n",
  });
  assertEquals(await readClassNames(join(root, "plain.txt")), ["beach", "forest"]);
  assertEquals(await readClassNames(join(root, "places.txt")), ["/b/beach", "/f/forest"]);
  await assertRejects(
    () => readClassNames(join(root, "gap.txt")),
    (e) => assertEquals(e.message, `${join(root, "gap.txt")}: class index 1 is missing`),
  );
  await assertRejects(
    () => readClassNames(join(root, "twice.txt")),
    (e) => assertEquals(e.message, `${join(root, "twice.txt")}: class index 0 is given twice`),
  );
});

Deno.test("an image list: paths under the folder in the list's order; bad lines and classes named", async () => {
  await using tmp = await scratchDir();
  const root = await folder(tmp.path, {
    "val.txt": "b/2.png 1\na/1.png 0\n",
    "bad.txt": "a/1.png\n",
    "far.txt": "a/1.png 5\n",
  });
  const images = await readImageList(root, join(root, "val.txt"), ["x", "y"]);
  assertEquals(images.map((i) => [i.relative, i.label, i.path]), [
    ["b/2.png", 1, join(root, "b/2.png")],
    ["a/1.png", 0, join(root, "a/1.png")],
  ]);
  await assertRejects(
    () => readImageList(root, join(root, "bad.txt"), ["x"]),
    (e) => assertMatch(e.message, /bad\.txt, line 1: "a\/1\.png" is not "path class-index"/),
  );
  await assertRejects(
    () => readImageList(root, join(root, "far.txt"), ["x", "y"]),
    (e) => assertMatch(e.message, /far\.txt, line 1: class 5, but the class names have 2/),
  );
});

Deno.test("resize then center crop, as torchvision's Resize(256) and CenterCrop(224)", async () => {
  await using tmp = await scratchDir();
  const root = tmp.path;
  // 128 x 128: a red center of 112 x 112 inside an 8-pixel blue border.
  const rgb = new Uint8Array(128 * 128 * 3);
  for (let y = 0; y < 128; y++) {
    for (let x = 0; x < 128; x++) {
      const inside = x >= 8 && x < 120 && y >= 8 && y < 120;
      rgb.set(inside ? [255, 0, 0] : [0, 0, 255], (y * 128 + x) * 3);
    }
  }
  const file = join(root, "framed.png");
  await Deno.writeFile(file, encodePng(rgb, 128, 128));
  // Shorter side kept at 128, center 112 cut out: only the red center is left.
  const cropped = await decodeImage(file, 112, 128);
  for (let i = 0; i < cropped.length; i += 3) {
    assertEquals([cropped[i], cropped[i + 1], cropped[i + 2]], [255, 0, 0], `pixel ${i / 3}`);
  }
  // Scaled to 112 whole: the blue border stays at the edges.
  const scaled = await decodeImage(file, 112);
  assert(scaled[2] > 200 && scaled[0] < 50, `corner ${scaled.slice(0, 3)}`);
});

Deno.test("the first N images of each label, in the listing's order", () => {
  const images = [0, 1, 0, 0, 2, 1, 0].map((label, i) => ({
    path: `p${i}`,
    relative: `p${i}`,
    label,
  }));
  assertEquals(firstPerLabel(images, 2).map((im) => im.path), ["p0", "p1", "p2", "p4", "p5"]);
  assertEquals(firstPerLabel(images, 9), images);
});
