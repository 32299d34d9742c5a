/** A generator's samples on the toy generator: made in shards and joined, or in one pass. */
import { join } from "node:path";
import { assertEquals } from "../tests/assert.ts";
import { tinyGenerator } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import { Generator } from "../onnx/generator.ts";
import { normalLatents } from "../stats/normal.ts";
import { firstImages, generateSamples, joinSamples } from "./generated.ts";

Deno.test("samples generated in shards of batches and joined equal one shard of all", async () => {
  await using tmp = await scratchDir("dissect-generated-");
  const root = tmp.path;
  const generator = await Generator.open("toy", tinyGenerator(16), 1);
  const run = async (cuts: number[]) => {
    const name = cuts.join("-"), rows: unknown[] = [];
    const parts = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const dir = join(root, `${name}-part-${k}`);
      await Deno.mkdir(dir);
      const range = { start: cuts[k], end: cuts[k + 1] };
      await generateSamples({
        generator,
        seed: 4,
        ...range,
        batch: 2,
        dir,
        sample: (r) => rows.push(r),
      });
      parts.push(dir);
    }
    const dir = join(root, name);
    await Deno.mkdir(dir);
    return { dir, rows, meta: await joinSamples(dir, parts) };
  };
  try {
    const whole = await run([0, 5]);
    assertEquals([whole.meta.count, whole.meta.height, whole.meta.maps], [5, 16, []]);
    assertEquals(whole.rows.map((r) => (r as { image: number }).image), [0, 1, 2, 3, 4]);
    // The latents kept are those the seed gives each sample.
    const latents = await Deno.readFile(join(whole.dir, "latents.f32"));
    assertEquals(new Float32Array(latents.buffer), normalLatents(4, 0, 5, 16));
    const split = await run([0, 2, 4, 5]);
    for (const file of ["latents.f32", "images.u8", "labels.u8", "meta.json"]) {
      assertEquals(
        await Deno.readFile(join(split.dir, file)),
        await Deno.readFile(join(whole.dir, file)),
        file,
      );
    }
    assertEquals(split.rows, whole.rows);
    const images = await Deno.readFile(join(whole.dir, "images.u8"));
    const first = firstImages(whole.dir, 3);
    assertEquals(first.length, 3);
    assertEquals(first[2], images.subarray(2 * 16 * 16 * 3, 3 * 16 * 16 * 3));
    assertEquals(firstImages(whole.dir, 36).length, 5);
  } finally {
    await generator.release();
  }
});
