import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { brightestChannel, tinyGenerator } from "../tests/fixtures/models.ts";
import { GraphBuilder } from "./build.ts";
import { Generator } from "./generator.ts";

Deno.test("a generator gives square RGB images from latents, batch by batch", async () => {
  const g = await Generator.open("g.onnx", tinyGenerator(64, 16), 1);
  assertEquals(g.latent, 16);
  const out = await g.generate(new Float32Array(2 * 16).fill(0.5), 2);
  await g.release();
  assertEquals([out.size, out.data.length], [64, 2 * 3 * 64 * 64]);
});

Deno.test("a model that is not a generator is refused, naming what it takes and gives", async () => {
  await assertRejects(
    () => Generator.open("c.onnx", brightestChannel(), 1),
    (e) => {
      assert(e instanceof DissectError);
      assertEquals(
        e.message,
        'c.onnx: a generator takes one input [batch, latent]; "image" is Nx3x2x2',
      );
    },
  );
  const b = new GraphBuilder();
  b.input("z", ["N", 4]);
  b.node("Identity", ["z"], "out");
  b.output("out", ["N", 4]);
  const flat = await Generator.open("flat.onnx", b.toBytes(), 1);
  await assertRejects(
    () => flat.generate(new Float32Array(4), 1),
    (e) => {
      assert(e instanceof DissectError);
      assertEquals(e.message, 'flat.onnx: output "out" is 1x4, expected Nx3xHxH RGB');
    },
  );
  await flat.release();
});
