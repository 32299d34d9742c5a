import { join } from "node:path";
import { readExampleRows, writeExampleRows } from "./example_rows.ts";
import { assert, assertEquals } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import {
  objectPixelRows,
  pickExamples,
  removalCopies,
  showsClass,
  zeroUnits,
} from "./unit_removal.ts";

Deno.test("zeroing units clears exactly their maps, in every image of the batch", () => {
  const base = { n: 2, units: 3, h: 1, w: 2 };
  const layer = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  zeroUnits(layer, base, [2, 0]);
  assertEquals([...layer], [0, 0, 3, 4, 0, 0, 0, 0, 9, 10, 0, 0]);
  const untouched = Float32Array.of(1, 2, 3, 4, 5, 6);
  zeroUnits(untouched, { n: 1, units: 3, h: 1, w: 2 }, []);
  assertEquals([...untouched], [1, 2, 3, 4, 5, 6]);
});

Deno.test("object pixels: per step and image, each class's count in order of appearance, none left out", () => {
  const labels = ["-", "tree", "sky", "house"];
  // Two samples of 4 pixels, two steps (copies): step 0 then step 5.
  const object = Uint8Array.of(
    2,
    1,
    1,
    0, // step 0, image 10
    3,
    3,
    3,
    3, // step 0, image 11
    2,
    2,
    0,
    0, // step 5, image 10: the trees are gone
    3,
    1,
    3,
    3, // step 5, image 11
  );
  assertEquals(objectPixelRows(object, labels, { start: 10, n: 2, px: 4 }, [0, 5]), [
    { n: 0, image: 10, object: "sky", pixels: 1 },
    { n: 0, image: 10, object: "tree", pixels: 2 },
    { n: 0, image: 11, object: "house", pixels: 4 },
    { n: 5, image: 10, object: "sky", pixels: 2 },
    { n: 5, image: 11, object: "house", pixels: 3 },
    { n: 5, image: 11, object: "tree", pixels: 1 },
  ]);
});

Deno.test("object pixels are counted for classes past 255 of a 16-bit map", () => {
  const labels = ["none", ...Array.from({ length: 400 }, (_, k) => `object${k + 1}`)];
  const object = Uint16Array.of(300, 300, 5, 0, 400, 0, 256, 256);
  assertEquals(objectPixelRows(object, labels, { start: 0, n: 2, px: 4 }, [0]), [
    { n: 0, image: 0, object: "object300", pixels: 2 },
    { n: 0, image: 0, object: "object5", pixels: 1 },
    { n: 0, image: 1, object: "object400", pixels: 1 },
    { n: 0, image: 1, object: "object256", pixels: 2 },
  ]);
});

Deno.test("an example shows the class when it covers at least the fraction of the image", () => {
  const maps = Uint8Array.of(1, 1, 0, 0, 1, 0, 0, 0);
  assert(showsClass(maps, 0, 4, 1, 0.5));
  assert(!showsClass(maps, 1, 4, 1, 0.5));
  assert(showsClass(maps, 1, 4, 1, 0.25));
});

Deno.test("copies: steps from 0 up as far as units were found; examples show the last step within reach", () => {
  const ranked = [{ unit: 7 }, { unit: 2 }, { unit: 5 }];
  assertEquals(removalCopies([3, 1, 20, 1], ranked, 2), {
    usable: [0, 1, 3],
    removed: [[], [7], [7, 2, 5]],
    after: 1,
  });
  assertEquals(removalCopies([0, 2], ranked, 20).after, 1);
});

Deno.test("examples picked and saved shard by shard, then read back, are those one pass picks", async () => {
  // Batches of 3 samples of 1x1 pixel in 2 copies; a sample shows class 1 when its pixel is 1.
  const px = 1, n = 3, after = 1;
  const shows = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0];
  const batch = (b: number) => {
    const object = new Uint8Array(2 * n), rgb = new Uint8Array(2 * n * 3);
    for (let i = 0; i < n; i++) {
      object[i] = shows[b * n + i];
      rgb.fill(b * n + i, i * 3, i * 3 + 3); // copy 0: the sample's index
      rgb.fill(100 + b * n + i, (n + i) * 3, (n + i + 1) * 3); // copy 1: 100 + the index
    }
    return { object, rgb, n, px };
  };
  const onePass: Uint8Array[][] = [];
  for (let b = 0; b < 4; b++) pickExamples(onePass, batch(b), 1, after, 5);
  assertEquals(onePass.map(([before, edited]) => [before[0], edited[0]]), [
    [1, 101],
    [2, 102],
    [4, 104],
    [5, 105],
    [6, 106],
  ]);
  await using tmp = await scratchDir("dissect-examples-");
  const root = tmp.path;
  const dirs = [];
  for (const batches of [[0], [1, 2], [3]]) {
    const dir = join(root, `part-${dirs.length}`), picked: Uint8Array[][] = [];
    await Deno.mkdir(dir);
    for (const b of batches) pickExamples(picked, batch(b), 1, after, 5);
    await writeExampleRows(dir, { rows: picked, size: 1 });
    dirs.push(dir);
  }
  assertEquals(await readExampleRows(dirs, 5), { rows: onePass, size: 1 });
  assertEquals((await readExampleRows(dirs, 0)).rows, []);
});
