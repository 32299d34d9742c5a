/**
 * The editing loop on the toy generator (an 8x8 layer of 3 units, upsampled
 * and squashed by a sigmoid, so a layer of zeros renders as mid-gray).
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { tinyGanFiles } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import {
  cellCenter,
  countClass,
  type EditedBatch,
  editedBatches,
  type EditRun,
  editSamples,
  forceAtLocation,
} from "./generator_edit.ts";

/** An editing run of the toy generator on `latents` latents, its files written in `dir`. */
async function toyRun(
  dir: string,
  latents: number,
  overrides: Partial<EditRun>,
): Promise<EditRun> {
  const files = await tinyGanFiles(dir, latents);
  return {
    generator: "toy generator",
    segmenter: "toy segmenter",
    ...files,
    threads: 1,
    layer: "layer1",
    samples: 100,
    batch: 2,
    copies: () => 2,
    edit: () => {},
    ...overrides,
  };
}

async function collect(run: EditRun): Promise<EditedBatch[]> {
  const out: EditedBatch[] = [];
  for await (const b of editedBatches(run)) out.push(b);
  return out;
}

Deno.test("each copy starts as the unedited layer; the edits of one copy render in it alone", async () => {
  await using tmp = await scratchDir("dissect-gan-");
  const startedUnedited: boolean[] = [];
  const got = await collect(
    await toyRun(tmp.path, 5, {
      edit: (layer, copy, base) => {
        startedUnedited.push(layer.every((v, i) => v === base.data[i]));
        if (copy === 1) layer.fill(0);
      },
    }),
  );
  // 5 latents in batches of 2, all of them (samples asks for more than there are).
  assertEquals(got.map((b) => [b.start, b.base.n, b.count]), [[0, 2, 5], [2, 2, 5], [4, 1, 5]]);
  assertEquals(startedUnedited, new Array(6).fill(true)); // 3 batches x 2 copies
  for (const { base: { n }, rgb, size } of got) {
    const image = size * size * 3;
    assertEquals(rgb.length, 2 * n * image);
    // Copy 1 (images n..2n-1) is zeroed: sigmoid(0) everywhere; copy 0 is not.
    assert(rgb.subarray(n * image).every((v) => v === 128));
    assert(rgb.subarray(0, n * image).some((v) => v !== 128));
  }
  assertEquals(got[0].segmenter.labels.object.includes("tree"), true);
});

Deno.test("samples caps the run; an edit that fails ends it with its error", async () => {
  await using tmp = await scratchDir("dissect-gan-");
  const capped = await collect(await toyRun(tmp.path, 5, { samples: 3 }));
  assertEquals(capped.map((b) => [b.start, b.base.n, b.count]), [[0, 2, 3], [2, 1, 3]]);
  const failing = await toyRun(tmp.path, 5, {
    edit: (_layer, copy) => {
      if (copy === 1) throw new Error("this edit broke");
    },
  });
  await assertRejects(() => collect(failing), (e) => assertMatch(e.message, /this edit broke/));
});

Deno.test("a run's batches split into shards render the same batches, pixel for pixel", async () => {
  await using tmp = await scratchDir("dissect-gan-");
  // 7 latents, 6 samples in batches of 2: 3 batches; the edit zeroes one unit of copy 1.
  const run = await toyRun(tmp.path, 7, {
    samples: 6,
    edit: (layer, copy, base) => {
      if (copy === 1) layer.fill(0, 0, base.h * base.w);
    },
  });
  assertEquals(batchCount(await editSamples(run), run.batch), 3);
  assertEquals(batchCount(await editSamples({ ...run, samples: 100 }), 3), 3);
  const whole = await collect(run);
  for (const cuts of [[0, 1, 3], [0, 2, 3], [0, 1, 2, 3]]) {
    const parts: EditedBatch[][] = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const range = batchSpan({ start: cuts[k], end: cuts[k + 1] }, run.batch, 6);
      parts.push(await collect({ ...run, range }));
    }
    assertEquals(parts.map((p) => p[0].count), parts.map((p) => 2 * p.length), "a shard's samples");
    const split = parts.flat();
    assertEquals(split.map((b) => [b.start, b.base.n]), whole.map((b) => [b.start, b.base.n]));
    split.forEach((b, k) => assertEquals(b.rgb, whole[k].rgb, `batch ${k}, cuts ${cuts}`));
  }
  // A range past the samples (the last batch is short) renders what there is.
  const tail = await collect({ ...run, samples: 5, range: batchSpan({ start: 2, end: 3 }, 2, 5) });
  assertEquals(tail.map((b) => [b.start, b.base.n, b.count]), [[4, 1, 1]]);
});

Deno.test("door insertion's edit forces the chosen units at one location of every image", () => {
  // 2 images, 3 units, a 2x2 layer; copy 1 + y*w + x = 4 is location (1, 1).
  const base = { n: 2, units: 3, h: 2, w: 2 };
  const layer = new Float32Array(2 * 3 * 4);
  forceAtLocation(layer, 0, base, [{ unit: 1, value: 5 }]);
  assertEquals(layer.every((v) => v === 0), true);
  forceAtLocation(layer, 4, base, [{ unit: 1, value: 5 }, { unit: 2, value: 7 }]);
  const set = [...layer.keys()].filter((k) => layer[k] !== 0).map((k) => [k, layer[k]]);
  assertEquals(set, [[7, 5], [11, 7], [19, 5], [23, 7]]);
});

Deno.test("cell centers and class counts", () => {
  assertEquals(cellCenter(0, 0, 8, 8, 64), [4, 4]);
  assertEquals(cellCenter(7, 3, 8, 8, 64), [60, 28]);
  assertEquals(cellCenter(0, 0, 1, 1, 3), [1, 1]);
  assertEquals(countClass(Uint8Array.of(1, 2, 2, 0, 2, 2), 1, 3, 2), 2);
});

Deno.test("a range of samples is batched from its start as the whole run batches it", async () => {
  await using tmp = await scratchDir("dissect-gan-");
  const run = await toyRun(tmp.path, 5, {});
  assertEquals(await editSamples(run), 5);
  assertEquals(await editSamples({ ...run, samples: 3 }), 3);
  const whole = await collect(run);
  const part = await collect({ ...run, range: { start: 2, end: 5 } });
  // count: the samples this range renders.
  assertEquals(part.map((b) => [b.start, b.base.n, b.count]), [[2, 2, 3], [4, 1, 3]]);
  assertEquals(part.map((b) => b.rgb), whole.slice(1).map((b) => b.rgb));
});
