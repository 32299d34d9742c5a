import { assert, assertEquals } from "../tests/assert.ts";
import { attackedBrightest } from "../tests/fixtures/attacked.ts";
import { type AttackedImage, attackImages, writeAttacked } from "./campaign.ts";

/** A 2x2 image with one channel at 150 and the others at 60. */
const oneColor = (c: number) => Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === c ? 150 : 60));

Deno.test("an attack campaign: every image in order, batch by batch, with logits, peaks and pixels", async () => {
  const model = await attackedBrightest();
  const chosen = { images: [4, 0, 7], source: [0, 1, 2], target: [2, 0, 1] };
  const read = (i: number) => oneColor(chosen.source[chosen.images.indexOf(i)]);
  const options = {
    steps: 40,
    searchSteps: 3,
    confidence: 0,
    learningRate: 0.05,
    initialC: 1,
    batch: 2,
  };
  const batches: AttackedImage[][] = [];
  for await (const b of attackImages(model, chosen, read, options)) {
    assert(b.evaluations > 0, "a batch calls the model");
    batches.push(b.attacked);
  }
  await model.release();
  assertEquals(batches.map((b) => b.length), [2, 1]);
  const all = batches.flat();
  assertEquals(all.map((a) => [a.image, a.source, a.target]), [[4, 0, 2], [0, 1, 0], [7, 2, 1]]);
  for (const a of all) {
    assert(a.success, `attack on image ${a.image} succeeds on a linear model`);
    assertEquals(a.predictedAfter, a.target);
    assertEquals(a.logits.length, 6);
    // The layer is the channel means: the peak before is the source channel's mean.
    assertEquals(a.peaks.length, 3);
    assert(Math.abs(a.peaks[a.source].before - 150 / 255) < 1e-6, "peak before is the mean");
    assert(a.peaks[a.target].after > a.peaks[a.target].before, "the target channel rose");
    assertEquals([a.example.original.length, a.example.before.length, a.example.h], [12, 3, 1]);
  }

  const kept = { attacks: [] as unknown[], logits: [] as unknown[], peaks: [] as unknown[] };
  const sink = (list: unknown[]) => ({ append: (r: unknown) => void list.push(r), rows: 0 });
  const sinks = { attacks: sink(kept.attacks), logits: sink(kept.logits), peaks: sink(kept.peaks) };
  writeAttacked(sinks, all[0], ["red", "green", "blue"]);
  assertEquals(kept.attacks, [{
    image: 4,
    source: 0,
    source_class: "red",
    target: 2,
    target_class: "blue",
    success: true,
    l2: all[0].l2,
    c: all[0].c,
    predicted_after: 2,
  }]);
  assertEquals([kept.logits.length, kept.peaks.length], [6, 3]);
  assertEquals(kept.peaks[0], { image: 4, ...all[0].peaks[0] });
});
