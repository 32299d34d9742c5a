import * as ort from "onnxruntime-node";
import { assert, assertEquals, assertNotEquals } from "../tests/assert.ts";
import { GraphBuilder } from "../onnx/build.ts";
import { seededRandom } from "../stats/random.ts";
import { maskPoint } from "../onnx/masked_tail.ts";
import {
  Ablator,
  importanceRows,
  predictUnderSettings,
  rankByImportance,
  removalCountRows,
  removalSettings,
  RemovalTally,
  singleRemovals,
  softBalancedAccuracy,
  tallySingleRemovals,
} from "./ablation.ts";

const C = 6, K = 5;

/**
 * conv -> relu ("layer") -> max pool -> conv (+ a skip connection from the
 * image's first conv, jumping over the cut) -> relu -> Gemm.
 * With `zero`, the layer's channels listed are multiplied by 0 by hand.
 */
function model(zero: number[] = []): Uint8Array {
  const rand = seededRandom(5);
  const w = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
  const g = new GraphBuilder();
  const x = g.input("image", ["N", 3, 8, 8]);
  const first = g.node("Conv", [x, g.init("w1", [C, 3, 3, 3], w(C * 27))], "first", {
    pads: [1, 1, 1, 1],
  });
  let layer = g.node("Relu", [first], "layer");
  if (zero.length) {
    const keep = Array.from({ length: C }, (_, c) => (zero.includes(c) ? 0 : 1));
    layer = g.node("Mul", [layer, g.init("keep", [1, C, 1, 1], keep)], "layer_masked");
  }
  const pooled = g.node("MaxPool", [layer], "pooled", { kernel_shape: [2, 2], strides: [2, 2] });
  const skip = g.node("MaxPool", [first], "skip", { kernel_shape: [2, 2], strides: [2, 2] });
  const mixed = g.node("Conv", [pooled, g.init("w2", [C, C, 3, 3], w(C * C * 9))], "mixed", {
    pads: [1, 1, 1, 1],
  });
  const faint = g.node("Mul", [skip, g.init("faint", [], [0.2])]);
  const act = g.node("Relu", [g.node("Add", [mixed, faint])]);
  const flat = g.node("Flatten", [act]);
  g.node("Gemm", [flat, g.init("fc", [K, C * 16], w(K * C * 16))], "logits", { transB: 1 });
  g.output("logits", ["N", K]);
  return g.toBytes();
}

/** n random 3x8x8 images, seeded. */
function images(n: number, seed: number): ort.Tensor {
  const rand = seededRandom(seed);
  return new ort.Tensor(
    "float32",
    Float32Array.from({ length: n * 3 * 64 }, () => rand() * 2 - 1),
    [n, 3, 8, 8],
  );
}

/** The setting that zeroes the listed units of the layer. */
const zeroMask = (zero: number[]) =>
  Uint8Array.from({ length: C }, (_, c) => (zero.includes(c) ? 1 : 0));

Deno.test("the mask moves past the ReLU and pool that follow a layer, not past a conv", () => {
  const bytes = model();
  assertEquals(maskPoint(bytes, "first"), "first"); // read by two nodes: stays
  assertEquals(maskPoint(bytes, "layer"), "pooled");
  assertEquals(maskPoint(bytes, "mixed"), "mixed"); // read by Add
});

Deno.test("removing units through the masked tail equals zeroing them in the graph", async () => {
  const n = 40;
  const image = images(n, 8);
  const ablator = await Ablator.open("m.onnx", model(), "layer", "logits", 1);
  const settings = [[], [0], [3], [1, 2, 5], [0, 1, 2, 3, 4, 5]];
  const boundary = await ablator.forwardHead({ image });
  const got = await ablator.predict(
    boundary,
    settings.map(zeroMask),
  );
  // Removing units must change some prediction, or the comparison shows nothing.
  assertNotEquals(Array.from(got[0]), Array.from(got[4]));
  for (const [s, zero] of settings.entries()) {
    const session = await ort.InferenceSession.create(model(zero));
    const logits = (await session.run({ image })).logits.data as Float32Array;
    const want = Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (logits[i * K + k] > logits[i * K + best]) best = k;
      return best;
    });
    assertEquals(Array.from(got[s]), want, `units ${zero}`);
  }
});

Deno.test("the masked tail's class probabilities are the softmax of the zeroed model's logits", async () => {
  const n = 12;
  const image = images(n, 9);
  const ablator = await Ablator.open("m.onnx", model(), "layer", "logits", 1);
  const settings = [[], [2], [0, 4, 5]];
  const boundary = await ablator.forwardHead({ image });
  const got = await ablator.predictWithProbabilities(
    boundary,
    settings.map(zeroMask),
  );
  for (const [s, zero] of settings.entries()) {
    const session = await ort.InferenceSession.create(model(zero));
    const logits = (await session.run({ image })).logits.data as Float32Array;
    assertEquals(got.probabilities[s].length, n * K);
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * K, (i + 1) * K);
      const top = Math.max(...row);
      const sum = row.reduce((t, v) => t + Math.exp(v - top), 0);
      for (let k = 0; k < K; k++) {
        const want = Math.exp(row[k] - top) / sum;
        const p = got.probabilities[s][i * K + k];
        assert(Math.abs(p - want) < 1e-5, `units ${zero}, image ${i}, class ${k}: ${p} vs ${want}`);
      }
      assertEquals(got.predicted[s][i], row.indexOf(top));
    }
  }
  await ablator.release();
});

Deno.test("soft balanced accuracy averages the probability given on positives and withheld on negatives", () => {
  // 2 images of the class (probabilities 0.9, 0.7 for it), 3 others (0.1, 0.2, 0.3 for it).
  const soft = softBalancedAccuracy(0.9 + 0.7, 0.9 + 0.7 + 0.1 + 0.2 + 0.3, 2, 5);
  assertEquals(soft.toFixed(12), (0.5 * (0.8 + (1 - 0.2))).toFixed(12));
  // A model certain and right everywhere scores 1, like balanced accuracy.
  assertEquals(softBalancedAccuracy(2, 2, 2, 5), 1);
});

Deno.test("units rank by balanced-accuracy drop; ties by soft drop, then by index", () => {
  const ranked = rankByImportance([
    { unit: 0, drop: 0, softDrop: 0.001 },
    { unit: 1, drop: 0.01, softDrop: -0.5 },
    { unit: 2, drop: 0, softDrop: 0.02 },
    { unit: 3, drop: 0, softDrop: 0.001 },
    { unit: 4, drop: -0.01, softDrop: 0.9 },
  ]);
  assertEquals(ranked.map((d) => d.unit), [1, 2, 0, 3, 4]);
});

Deno.test("the removal tally counts true and false positives and probabilities per setting", () => {
  const t = new RemovalTally(2, 3);
  const labels = [0, 2, 2];
  t.addImages(labels, 3);
  // Setting 0: right, wrong (said 1), right; setting 1: all said 0.
  t.add(0, labels, [0, 1, 2], Float32Array.of(0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0, 0.2, 0.8));
  t.add(1, labels, [0, 0, 0], Float32Array.of(1, 0, 0, 0.5, 0.5, 0, 0.9, 0, 0.1));
  assertEquals([...t.positives], [1, 0, 2]);
  assertEquals(t.images, 3);
  assertEquals([[...t.tp[0]], [...t.fp[0]]], [[1, 0, 1], [0, 1, 0]]);
  assertEquals([[...t.tp[1]], [...t.fp[1]]], [[1, 0, 0], [2, 0, 0]]);
  // Probability of each image's own class, summed by class; and of every class over all images.
  assertEquals([0, 1, 2].map((c) => +t.pPositives(1, c).toFixed(6)), [1, 0, 0.1]);
  assertEquals([0, 1, 2].map((c) => +t.pAll(0, c).toFixed(6)), [0.8, 1, 1.2]);
  // Removing "unit 0" (setting 1) for class 2: balanced accuracy 0.75 -> 0.5; class 1 has no images.
  const [d] = t.drops(2);
  assertEquals([d.unit, +d.drop.toFixed(6)], [0, 0.25]);
  assertEquals(t.drops(1), []);
});

Deno.test("removal settings: the unablated model, then per class, mode and size, the units zeroed", () => {
  // Two classes over 4 units, ranked most important first.
  const ranking = new Map([[0, [2, 0, 3, 1]], [3, [1, 2, 0, 3]]]);
  const s = removalSettings(ranking, [1, 20]); // 20 is wider than the layer: k = 1 and 3
  assertEquals(s.length, 1 + 2 * 3 * 2);
  assertEquals([s[0].label, s[0].mode, [...s[0].zero]], [-1, "none", [0, 0, 0, 0]]);
  const at = (
    label: number,
    mode: string,
    k: number,
  ) => [...s.find((x) => x.label === label && x.mode === mode && x.k === k)!.zero];
  assertEquals(at(0, "remove-top", 1), [0, 0, 1, 0]);
  assertEquals(at(0, "remove-bottom", 1), [0, 1, 0, 0]);
  assertEquals(at(0, "keep-top", 1), [1, 1, 0, 1]);
  assertEquals(at(3, "remove-top", 3), [1, 1, 1, 0]);
});

Deno.test("single removals: setting 0 removes nothing, setting u + 1 removes unit u", () => {
  assertEquals(singleRemovals(3, 0, 2).map((z) => [...z]), [[0, 0, 0], [1, 0, 0]]);
  assertEquals(singleRemovals(3, 3, 4).map((z) => [...z]), [[0, 0, 1]]);
});

Deno.test("single-removal tallies over batches and chunks equal each unit removed in the graph, all at once", async () => {
  const n = 19, rand = seededRandom(12);
  const image = images(n, 13);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * K));
  const ablator = await Ablator.open("m.onnx", model(), "layer", "logits", 1);
  // The images go through as they are: the feed ignores the RGB bytes and slices the tensor.
  const pixels = image.data as Float32Array, D = 3 * 64;
  let at = 0;
  const data = {
    count: n,
    read: (start: number, end: number) => {
      at = start;
      return { images: new Uint8Array(end - start), labels: labels.subarray(start, end) };
    },
  };
  const feed = (_rgb: Uint8Array, m: number) => ({
    image: new ort.Tensor("float32", pixels.slice(at * D, (at + m) * D), [m, 3, 8, 8]),
  });
  const ticks: number[] = [];
  const tally = await tallySingleRemovals(ablator, data, feed, {
    classes: K,
    batch: 5,
    chunk: 3,
    tick: (m) => ticks.push(m),
  });
  // Data labels matched to the model's classes by name: counts land on the model's class.
  const perm = [3, 0, 4, 1, 2];
  const mapped = await tallySingleRemovals(ablator, data, feed, {
    classes: K,
    batch: 5,
    chunk: 3,
    toModel: perm,
  });
  await ablator.release();
  for (let c = 0; c < K; c++) {
    assertEquals(mapped.positives[perm[c]], tally.positives[c], `class ${c}`);
  }
  assertEquals(ticks, [5, 5, 5, 4]);
  assertEquals([tally.settings, tally.images], [C + 1, n]);
  // Some removal must change a prediction, or the comparison shows nothing.
  assert(tally.tp.some((tp, s) => s > 0 && tp.some((v, c) => v !== tally.tp[0][c])), "no change");
  for (let s = 0; s <= C; s++) {
    const session = await ort.InferenceSession.create(model(s ? [s - 1] : []));
    const logits = (await session.run({ image })).logits.data as Float32Array;
    const want = new RemovalTally(1, K);
    const predicted = Array.from({ length: n }, (_, i) => {
      const row = logits.subarray(i * K, (i + 1) * K);
      return row.indexOf(Math.max(...row));
    });
    const prob = logits.map((_, j) => {
      const row = logits.subarray(j - (j % K), j - (j % K) + K), top = Math.max(...row);
      return Math.exp(logits[j] - top) / row.reduce((t, v) => t + Math.exp(v - top), 0);
    });
    want.add(0, labels, predicted, prob);
    assertEquals([...tally.tp[s]], [...want.tp[0]], `setting ${s}: true positives`);
    assertEquals([...tally.fp[s]], [...want.fp[0]], `setting ${s}: false positives`);
    for (let c = 0; c < K; c++) {
      assert(Math.abs(tally.pAll(s, c) - want.pAll(0, c)) < 1e-4, `setting ${s} class ${c}`);
      assert(Math.abs(tally.pPositives(s, c) - want.pPositives(0, c)) < 1e-4);
    }
    await session.release();
  }
  const counts = removalCountRows(tally, ["a", "b", "c", "d", "e"]);
  assertEquals(counts.length, (C + 1) * K);
  // Row (unit u, class c) carries setting u + 1's tallies of class c, column by column.
  for (const r of counts) {
    const s = r.unit! + 1, c = r.label!;
    assertEquals(
      [r.class, r.tp, r.fp, r.p_positives, r.p_all, r.positives, r.images],
      [
        "abcde"[c],
        tally.tp[s][c],
        tally.fp[s][c],
        tally.pPositives(s, c),
        tally.pAll(s, c),
        tally.positives[c],
        n,
      ],
    );
  }
  assert(counts.some((r) => r.tp !== r.fp), "true and false positives differ somewhere");
  assertEquals(counts.filter((r) => r.unit === -1).map((r) => r.positives), [...tally.positives]);
  const ranked = importanceRows(tally, "layer", ["a", "b", "c", "d", "e"]);
  const present = [...tally.positives].filter((p) => p > 0).length;
  assertEquals(ranked.length, present * C);
  for (const c of new Set(ranked.map((r) => r.label))) {
    const drops = ranked.filter((r) => r.label === c);
    assertEquals(drops.map((r) => r.rank), [...drops.keys()]);
    assert(drops.every((r, i) => i === 0 || drops[i - 1].drop >= r.drop), "ranked by drop");
  }
});

Deno.test("predictions under settings, batch by batch and chunk by chunk, equal each setting zeroed in the graph", async () => {
  const n = 11;
  const image = images(n, 21);
  const pixels = image.data as Float32Array, D = 3 * 64;
  const ablator = await Ablator.open("m.onnx", model(), "layer", "logits", 1);
  const zeros = [[], [1], [0, 5], [2, 3, 4], [0, 1, 2, 3, 4]];
  const data = { count: n, readImages: (start: number, end: number) => Uint8Array.of(start, end) };
  // The feed reads the batch's range back from the stand-in bytes and slices the images.
  const feed = (rgb: Uint8Array, m: number) => ({
    image: new ort.Tensor("float32", pixels.slice(rgb[0] * D, (rgb[0] + m) * D), [m, 3, 8, 8]),
  });
  const got: number[][] = zeros.map(() => []);
  const starts: number[] = [];
  for await (
    const b of predictUnderSettings(ablator, data, feed, zeros.map(zeroMask), {
      batch: 4,
      chunk: 2,
    })
  ) {
    starts.push(b.start);
    assertEquals(b.predicted.length, zeros.length);
    b.predicted.forEach((p, s) => got[s].push(...p));
  }
  await ablator.release();
  assertEquals(starts, [0, 4, 8]);
  assertNotEquals(got[0], got[4], "removing units changes some prediction");
  for (const [s, zero] of zeros.entries()) {
    const session = await ort.InferenceSession.create(model(zero));
    const logits = (await session.run({ image })).logits.data as Float32Array;
    const want = Array.from({ length: n }, (_, i) => {
      const row = logits.subarray(i * K, (i + 1) * K);
      return row.indexOf(Math.max(...row));
    });
    assertEquals(got[s], want, `units ${zero}`);
    await session.release();
  }
});

Deno.test("tallies of shards, saved as JSON and added, equal the tally of all images bit for bit", () => {
  const random = seededRandom(5);
  const [S, K, n] = [4, 3, 30];
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * K));
  const runs = Array.from({ length: S }, () => ({
    predicted: Int32Array.from({ length: n }, () => Math.floor(random() * K)),
    prob: Float32Array.from({ length: n * K }, () => random() ** 3),
  }));
  const tallyOf = (start: number, end: number) => {
    const t = new RemovalTally(S, K);
    t.addImages(labels.subarray(start, end), end - start);
    runs.forEach((r, s) =>
      t.add(
        s,
        labels.subarray(start, end),
        r.predicted.subarray(start, end),
        r.prob.subarray(start * K, end * K),
      )
    );
    return t;
  };
  const whole = tallyOf(0, n);
  const merged = new RemovalTally(S, K);
  for (const [start, end] of [[0, 7], [7, 8], [8, 30]]) {
    merged.addPart(JSON.parse(JSON.stringify(tallyOf(start, end).save())));
  }
  assertEquals(removalCountRows(merged, ["a", "b", "c"]), removalCountRows(whole, ["a", "b", "c"]));
  assertEquals(merged.drops(1), whole.drops(1));
});
