import { join } from "node:path";
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { shardRanges } from "../engine/shard.ts";
import type { AttackedImage } from "./campaign.ts";
import { batchSlice, CampaignTally, type Chosen } from "./tally.ts";
import { batchCount } from "../data/open.ts";

const chosen: Chosen = {
  images: [3, 4, 6, 8, 9, 10, 13, 15, 16, 20, 21],
  source: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1],
  target: [1, 2, 0, 2, 0, 1, 1, 2, 0, 2, 0],
};

Deno.test("a campaign's batches split into shards give its attacks, each in its unsplit batch", () => {
  const batch = 3, items = batchCount(chosen.images.length, batch);
  assertEquals(items, 4);
  const unsplit = (i: number) => Math.floor(i / batch);
  for (const shards of [1, 2, 3, 4, 7]) {
    const slices = shardRanges(items, shards).map((r) => ({ r, s: batchSlice(chosen, r, batch) }));
    assertEquals(slices.flatMap(({ s }) => s.images), chosen.images, `${shards} shards`);
    assertEquals(slices.flatMap(({ s }) => s.target), chosen.target, `${shards} shards`);
    // A shard's k-th attack is in its batch floor(k / batch), which is the unsplit batch it was in.
    for (const { r, s } of slices) {
      s.images.forEach((image, k) => {
        assertEquals(r.start + Math.floor(k / batch), unsplit(chosen.images.indexOf(image)));
      });
    }
  }
});

/** An attacked image whose arrays are filled with its image number, succeeding as told. */
function attacked(image: number, success: boolean): AttackedImage {
  const i = chosen.images.indexOf(image);
  const fill = (n: number, d: number) => new Float32Array(n).fill(image + d + 0.1);
  return {
    image,
    source: chosen.source[i],
    target: chosen.target[i],
    success,
    l2: success ? 0.5 : NaN,
    c: success ? 1 : NaN,
    predictedAfter: success ? chosen.target[i] : chosen.source[i],
    logits: [],
    peaks: [],
    example: {
      original: fill(12, 0),
      adversarial: fill(12, 1),
      before: fill(6, 2),
      after: fill(6, 3),
      h: 1,
      w: 2,
    },
  };
}

Deno.test("tallies of shards merge into the unsplit campaign's counts and first successes", async () => {
  const batch = 3, limit = 4, items = batchCount(chosen.images.length, batch);
  const succeeded = new Set([4, 8, 9, 13, 16, 21]);
  const batchOf = (slice: Chosen) =>
    Array.from({ length: Math.ceil(slice.images.length / batch) }, (_, b) => ({
      attacked: slice.images.slice(b * batch, (b + 1) * batch).map((i) =>
        attacked(i, succeeded.has(i))
      ),
      evaluations: 10 + b,
    }));
  const whole = CampaignTally.of(chosen, limit);
  for (const b of batchOf(chosen)) whole.add(b);
  assertEquals([whole.attacks, whole.successes, whole.evaluations], [11, 6, 10 + 11 + 12 + 13]);
  assertEquals(
    whole.kept.map((k) => k.example.original[0]),
    [4.1, 8.1, 9.1, 13.1].map(Math.fround),
  );

  await using root = await scratchDir("dissect-tally-");
  for (const shards of [1, 2, 3, 4]) {
    const dirs: string[] = [];
    for (const r of shardRanges(items, shards)) {
      const part = CampaignTally.of(chosen, limit);
      const slice = batchSlice(chosen, r, batch);
      for (const [b, got] of batchOf(slice).entries()) {
        part.add({ ...got, evaluations: 10 + r.start + b });
      }
      const dir = join(root.path, `${shards}-${r.start}`);
      await Deno.mkdir(dir);
      await part.write(dir);
      dirs.push(dir);
    }
    const merged = await CampaignTally.merge(dirs, limit);
    assertEquals(
      [merged.attacks, merged.successes, merged.evaluations],
      [whole.attacks, whole.successes, whole.evaluations],
    );
    assertEquals(merged.chosen, whole.chosen);
    assertEquals(merged.kept, whole.kept, `${shards} shards`);
  }
  // The figure's units: the source class's top units, then the target's.
  const ranking = new Map([[0, [5, 6]], [1, [7]], [2, [8]]]);
  assertEquals(whole.examples(ranking).map((e) => e.units), [[7, 8], [5, 6, 8], [7, 5, 6], [
    5,
    6,
    7,
  ]]);
});

Deno.test("shards that chose other attacks are not merged", async () => {
  await using root = await scratchDir("dissect-tally-");
  const dirs: string[] = [];
  for (const c of [chosen, { ...chosen, target: chosen.source }]) {
    const dir = join(root.path, String(dirs.length));
    await Deno.mkdir(dir);
    await CampaignTally.of(c, 2).write(dir);
    dirs.push(dir);
  }
  await assertRejects(
    () => CampaignTally.merge(dirs, 2),
    (e) => assertEquals(e.message, "shard 2 of 2 chose other images to attack than shard 1"),
  );
  await Deno.writeFile(join(dirs[0], "kept.f32"), new Uint8Array(8));
  await assertRejects(
    () => CampaignTally.read(dirs[0], 2),
    (e) => assertEquals(e.message, `${dirs[0]}/kept.f32 does not match tally.json`),
  );
});
