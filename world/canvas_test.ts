import { Canvas, ellipse, polygon, rect } from "./canvas.ts";
import { assertEquals, mask } from "./test_util.ts";

const paint = (object: number, part = 0, material = 0, color = 0x112233) => ({
  object,
  part,
  material,
  tex: () => color,
});

Deno.test("a filled rectangle's object mask is exactly the rectangle", () => {
  const c = new Canvas(10, 8);
  c.clear(paint(1));
  const n = c.fill(rect(2, 3, 5, 4), paint(7, 2, 3, 0xff8000));
  assertEquals(n, 20);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 10; x++) {
      const i = y * 10 + x;
      const inside = x >= 2 && x < 7 && y >= 3 && y < 7;
      assertEquals(c.object[i], inside ? 7 : 1, `object at ${x},${y}`);
      assertEquals(c.part[i], inside ? 2 : 0);
      assertEquals(c.material[i], inside ? 3 : 0);
      assertEquals(
        [...c.rgb.subarray(3 * i, 3 * i + 3)],
        inside ? [255, 128, 0] : [0x11, 0x22, 0x33],
      );
    }
  }
});

Deno.test("painter's order: later shapes own the labels they cover", () => {
  const c = new Canvas(6, 6);
  c.clear(paint(1));
  c.fill(rect(0, 0, 4, 4), paint(2, 5, 1));
  c.fill(rect(2, 2, 4, 4), paint(3));
  assertEquals(mask(c.object, 6, 6), [
    "222211",
    "222211",
    "223333",
    "223333",
    "113333",
    "113333",
  ]);
  // Part and material of the covered region were overwritten too.
  assertEquals(c.part[2 * 6 + 2], 0);
  assertEquals(c.material[2 * 6 + 2], 0);
});

Deno.test("shapes are clipped to the canvas and tested at pixel centers", () => {
  const c = new Canvas(5, 5);
  c.clear(paint(1));
  c.fill(rect(-3, -3, 5, 5), paint(2));
  c.fill(polygon([5, 5, 5, 1.6, 1.6, 5]), paint(3)); // centers with x + y > 6.6
  c.fill(ellipse(0.5, 4.5, 0.6, 0.6), paint(4)); // only pixel (0,4)
  assertEquals(mask(c.object, 5, 5), [
    "22111",
    "22111",
    "11113",
    "11133",
    "41333",
  ]);
});
