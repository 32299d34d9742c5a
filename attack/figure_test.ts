import { assert } from "../tests/assert.ts";
import { attackFigure } from "./figure.ts";

Deno.test("the attack figure draws 224-px examples (a perturbation of 150,528 values)", () => {
  const size = 224, plane = size * size, h = 14, w = 14;
  const original = Float32Array.from({ length: 3 * plane }, (_, k) => (k % 97) / 97);
  const adversarial = original.map((v, k) => v + (k % 5 === 0 ? 0.01 : 0));
  const before = new Float32Array(2 * h * w).fill(0.5);
  const after = before.map((v, k) => v + (k % 3) * 0.1);
  const png = attackFigure(
    [{ original, adversarial, units: [0, 1], before, after, h, w }],
    size,
    size,
  );
  // A PNG's signature, then a picture wider than the two images and the perturbation.
  assert(png[0] === 0x89 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47);
  const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
  assert(width >= 5 * size, `width ${width}`);
});
