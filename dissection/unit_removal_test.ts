import { assert, assertEquals } from "../tests/assert.ts";
import { objectPixelRows, showsClass, zeroUnits } from "./unit_removal.ts";

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

Deno.test("an example shows the class when it covers at least the fraction of the image", () => {
  const maps = Uint8Array.of(1, 1, 0, 0, 1, 0, 0, 0);
  assert(showsClass(maps, 0, 4, 1, 0.5));
  assert(!showsClass(maps, 1, 4, 1, 0.5));
  assert(showsClass(maps, 1, 4, 1, 0.25));
});
