import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { connect } from "../engine/duck.ts";
import { DissectError } from "../engine/errors.ts";
import {
  countPass,
  edgeModeOf,
  layerThresholds,
  mergePass,
  type QuantileState,
  readThresholds,
  thresholdDefinition,
  thresholdsByLayer,
  TopQuantile,
} from "./quantile.ts";
import { ActivationReader, layerFile, writeActivationsMeta } from "./activations.ts";
import { type Border, BORDERS, SourceGrid, Upsampler } from "./upsample.ts";
import { seededRandom } from "../stats/random.ts";

/** Run the two passes over `data` laid out [n][units][m], in batches of 7 images. */
function thresholdsOf(data: Float32Array, n: number, units: number, m: number, q: number) {
  const tq = new TopQuantile(units, m, q);
  for (const pass of [1, 2]) {
    for (let start = 0; start < n; start += 7) {
      const end = Math.min(n, start + 7);
      tq.observe(data.subarray(start * units * m, end * units * m), end - start);
    }
    if (pass === 1) tq.nextPass();
  }
  return tq.thresholds();
}

/** The exact fraction of unit u's values above t, by brute force. */
function fractionAbove(
  data: Float32Array,
  n: number,
  units: number,
  m: number,
  u: number,
  t: number,
) {
  let above = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) if (data[(i * units + u) * m + k] > t) above++;
  }
  return above / (n * m);
}

Deno.test("the top-q threshold leaves q of the values above it, within 3% (relative)", () => {
  const rand = seededRandom(5);
  const n = 300, units = 4, m = 49;
  const data = new Float32Array(n * units * m);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < units; u++) {
      for (let k = 0; k < m; k++) {
        const r = rand();
        // unit 0 uniform; 1 ReLU of a normal-ish (half zeros); 2 heavy tail; 3 tiny scale
        const v = u === 0
          ? r
          : u === 1
          ? Math.max(0, r + rand() - 1)
          : u === 2
          ? 1 / (1 - r * 0.999)
          : r * 1e-6;
        data[(i * units + u) * m + k] = v;
      }
    }
  }
  for (const q of [0.01, 0.005, 0.05]) {
    const ts = thresholdsOf(data, n, units, m, q);
    for (let u = 0; u < units; u++) {
      const frac = fractionAbove(data, n, units, m, u, ts[u].threshold);
      assertEquals(
        frac,
        ts[u].fractionAbove,
        `unit ${u} q ${q}: reported ${ts[u].fractionAbove} vs ${frac} t=${ts[u].threshold}`,
      );
      assert(Math.abs(frac - q) / q <= 0.03, `unit ${u}, q ${q}: fraction above ${frac}`);
    }
  }
});

Deno.test("a constant unit gets its value as threshold and nothing above", () => {
  const data = new Float32Array(2 * 1 * 10).fill(0);
  const [t] = thresholdsOf(data, 2, 1, 10, 0.01);
  assertEquals(t, { threshold: 0, fractionAbove: 0 });
});

Deno.test("negative values, both zeros and ties: the reported fraction is exact", () => {
  const rand = seededRandom(11);
  const n = 200, units = 3, m = 25;
  const data = new Float32Array(n * units * m);
  for (let i = 0; i < data.length; i++) {
    const u = Math.floor(i / m) % units, r = rand();
    // unit 0 symmetric around 0; 1 negative with -0 and +0 mixed in; 2 few distinct values
    data[i] = u === 0
      ? (r - 0.5) * 6
      : u === 1
      ? (r < 0.5 ? (r < 0.25 ? -0 : 0) : -r)
      : Math.floor(r * 4);
  }
  for (const q of [0.01, 0.3, 0.6]) {
    const ts = thresholdsOf(data, n, units, m, q);
    for (let u = 0; u < units; u++) {
      const frac = fractionAbove(data, n, units, m, u, ts[u].threshold);
      assertEquals(frac, ts[u].fractionAbove, `unit ${u}, q ${q}`);
    }
  }
});

Deno.test("distinct values: the count above is within a final bucket of q * N", () => {
  // 20,000 uniform values in [1, 2): a final bucket spans 2^-15 of the value,
  // about 0.6 values here, so the count above misses q * N by at most a few.
  const rand = seededRandom(3);
  const data = Float32Array.from({ length: 20000 }, () => 1 + rand());
  const [t] = thresholdsOf(data, 20000, 1, 1, 0.01);
  const above = t.fractionAbove * 20000;
  assert(Math.abs(above - 200) <= 2, `${above} values above, 200 wanted`);
});

Deno.test("NaN or infinite activations are refused over upsampled maps too", () => {
  for (const bad of [NaN, -NaN, -Infinity, Infinity]) {
    for (const border of BORDERS) {
      const units = 2, m = 16, n = 3;
      const data = new Float32Array(n * units * m).fill(0.5);
      data[(1 * units + 1) * m + 5] = bad; // image 1, unit 1
      const tq = new TopQuantile(units, m, 0.01, "up", new SourceGrid(4, 4, 16, 12, border));
      assertThrows(
        () => {
          for (let pass = 1; pass <= tq.passes; pass++) {
            tq.observe(data, n);
            if (pass < tq.passes) tq.nextPass();
          }
        },
        DissectError,
        "unit 1 has 1 activation(s) that are NaN or infinite",
      );
    }
  }
});

Deno.test("NaN or infinite activations are refused, naming the unit", () => {
  const data = new Float32Array(2 * 2 * 4);
  data[13] = NaN; // image 1, unit 1
  assertThrows(() => thresholdsOf(data, 2, 2, 4, 0.01), DissectError, "unit 1 has 1 activation");
  data[13] = Infinity;
  assertThrows(() => thresholdsOf(data, 2, 2, 4, 0.01), DissectError, "NaN or infinite");
});

/**
 * The reference for thresholds over upsampled maps: upsample every map with
 * the Upsampler, then count above each threshold. Maps are laid out
 * [n][units][h*w].
 */
function upsampledValues(
  data: Float32Array,
  n: number,
  units: number,
  grid: { h: number; w: number; H: number; W: number; border: Border },
): Float32Array[] {
  const { h, w, H, W, border } = grid;
  const up = new Upsampler(h, w, H, W, border);
  return Array.from({ length: units }, (_, u) => {
    const all = new Float32Array(n * H * W);
    for (let i = 0; i < n; i++) up.run(data, (i * units + u) * h * w, all.subarray(i * H * W));
    return all;
  });
}

Deno.test("thresholds over upsampled maps equal brute force: upsample everything, sort, pick", () => {
  const rand = seededRandom(17);
  const cases: [number, number, number, number][] = [
    [3, 5, 17, 23], // odd sizes, odd ratios
    [4, 4, 64, 64], // conv5_3 of the zoo at 64 px
    [7, 7, 56, 56], // VGG's 14 -> 56 at half scale
    [5, 3, 5, 3], // already at the segmentation's size: both definitions agree
    [1, 1, 9, 9],
  ];
  let risen = false;
  for (const [h, w, H, W] of cases) {
    for (const border of BORDERS) {
      const n = 30, units = 6, m = h * w;
      const data = new Float32Array(n * units * m);
      for (let i = 0; i < data.length; i++) {
        const u = Math.floor(i / m) % units, r = rand(), p = i % m, img = Math.floor(i / m / units);
        // ReLU-like with many exact zeros; all-positive; signed; few distinct values; smooth
        // ramps whose blocks span one or two buckets; near-constant maps whose blocks fall
        // within one or two final buckets (256 floats)
        data[i] = u === 0
          ? Math.max(0, r * 2 - 1.4)
          : u === 1
          ? 0.5 + r
          : u === 2
          ? (r - 0.5) * 8
          : u === 3
          ? Math.floor(r * 3)
          : u === 4
          ? 1 + (p + img) * 0.03 + r * 0.01
          : 1 + (3 + (p % 3)) * 2 ** -17 + img * 2 ** -14;
      }
      const grid = new SourceGrid(h, w, H, W, border);
      const ref = upsampledValues(data, n, units, { h, w, H, W, border });
      for (const q of [0.01, 0.2]) {
        // Counting by blocks finds exactly the counts of every upsampled pixel, pass by pass.
        const pixels = new Float32Array(n * units * H * W);
        for (let i = 0; i < n; i++) {
          for (let u = 0; u < units; u++) {
            pixels.set(ref[u].subarray(i * H * W, (i + 1) * H * W), (i * units + u) * H * W);
          }
        }
        const tq = new TopQuantile(units, m, q, "test", grid, n);
        const each = new TopQuantile(units, H * W, q, "reference");
        const where = `${h}x${w}->${H}x${W} ${border} q ${q}`;
        const feed = (tq: TopQuantile, values: Float32Array, per: number) => {
          for (let start = 0; start < n; start += 7) {
            const end = Math.min(n, start + 7);
            tq.observe(values.subarray(start * units * per, end * units * per), end - start);
          }
        };
        for (const pass of [1, 2]) {
          feed(tq, data, m);
          feed(each, pixels, H * W);
          const got = tq.counts(), want = each.counts();
          if (pass === 1) {
            // Pass 1 leaves out blocks wholly below its floor, raised batch after batch:
            // every bucket from the last floor up is exact.
            const { floor } = got;
            if (!grid.identity) risen ||= floor.some((f) => f > 0);
            for (let u = 0; u < units; u++) {
              const from = u * 4096 + floor[u], to = (u + 1) * 4096;
              assertEquals(got.hist.subarray(from, to), want.hist.subarray(from, to), `${where}`);
            }
            tq.nextPass();
            each.nextPass();
          } else {
            assertEquals([got.hist, got.above], [want.hist, want.above], `pass 2, ${where}`);
          }
        }
        const ts = tq.thresholds();
        assertEquals(tq.total, n * H * W);
        for (let u = 0; u < units; u++) {
          const values = ref[u];
          const above = values.reduce((s, v) => s + (v > ts[u].threshold ? 1 : 0), 0);
          const where = `${h}x${w}->${H}x${W} ${border} q ${q} unit ${u}`;
          assertEquals(ts[u].fractionAbove, above / values.length, where);
          // No threshold between the values does better than one final bucket away: the
          // sorted values' own (q * N)-th largest leaves as close a count above, within
          // the values that share its final bucket.
          const sorted = values.toSorted((a, b) => b - a);
          const k = Math.min(values.length - 1, Math.ceil(q * values.length));
          const pick = sorted[k];
          const pickAbove = values.reduce((s, v) => s + (v > pick ? 1 : 0), 0);
          const sameBucket = values.reduce(
            (s, v) => s + (Math.abs(v - pick) <= Math.abs(pick) * 2 ** -15 + 1e-38 ? 1 : 0),
            0,
          );
          assert(
            Math.abs(above - q * values.length) <=
              Math.abs(pickAbove - q * values.length) + sameBucket,
            `${where}: ${above} above t=${
              ts[u].threshold
            }, sorting gives ${pickAbove} above ${pick}`,
          );
        }
        assertEquals(ts, each.thresholds(), `${h}x${w}->${H}x${W} ${border}`);
        if (h === H && w === W) {
          // At equal sizes the upsampled maps are the maps: the layer definition's thresholds.
          const plain = thresholdsOf(data, n, units, m, q);
          assertEquals(ts, plain, `${h}x${w} ${border}`);
        }
      }
    }
  }
  assert(risen, "some floor rose above the lowest bucket, so blocks were skipped");
});

Deno.test("a quantile told a data set larger than it counted refuses to end pass 1", () => {
  const grid = new SourceGrid(2, 2, 4, 4, "zeros");
  const tq = new TopQuantile(1, 4, 0.01, "up", grid, 5);
  tq.observe(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), 2);
  assertThrows(() => tq.nextPass(), Error, "up: counted 32 values, expected 80");
});

Deno.test("over the upsampled map, thresholds are lower than over the layer's grid near the top", () => {
  // A single bright cell in a 4x4 map: 1/16 of the layer's positions, but its
  // upsampling spreads a falling slope over many pixels, so the two definitions differ.
  const m = 16, n = 10;
  const data = new Float32Array(n * m);
  for (let i = 0; i < n; i++) data[i * m + 5 + (i % 2)] = 1 + i / 10;
  const grid = new SourceGrid(4, 4, 64, 64, "zeros");
  const up = new TopQuantile(1, m, 0.01, "up", grid), layer = new TopQuantile(1, m, 0.01);
  for (const tq of [up, layer]) {
    for (let pass = 1; pass <= tq.passes; pass++) {
      tq.observe(data, n);
      if (pass < tq.passes) tq.nextPass();
    }
  }
  const [tu] = up.thresholds(), [tl] = layer.thresholds();
  assert(tu.threshold < tl.threshold, `upsampled ${tu.threshold}, layer grid ${tl.threshold}`);
  assert(Math.abs(tu.fractionAbove - 0.01) < 0.002, `fraction above ${tu.fractionAbove}`);
});

Deno.test("the masks' edge mode: the thresholds' one, refused when undefined, mixed or off-size", () => {
  const def = (layer: string, over = "upsampled", border = "zeros", size = 64) => ({
    layer,
    over,
    border,
    height: size,
    width: size,
  });
  assertEquals(edgeModeOf([def("a"), def("b")], ["a", "b"], 64, 64, "iou"), "zeros");
  assertEquals(edgeModeOf([def("a", "layer", "border", 4)], ["a"], 64, 64, "iou"), "border");
  assertThrows(
    () => edgeModeOf([def("a")], ["a", "b"], 64, 64, "iou"),
    DissectError,
    'define layer "b"',
  );
  assertThrows(
    () => edgeModeOf([def("a", "upsampled", "zeros", 56)], ["a"], 64, 64, "iou"),
    DissectError,
    'thresholds of "a" are over 56x56 upsampled maps, the segmentation is 64x64',
  );
  assertThrows(
    () => edgeModeOf([def("a"), def("b", "upsampled", "border")], ["a", "b"], 64, 64, "iou"),
    DissectError,
    "thresholds with edge modes zeros,border",
  );
});

Deno.test("thresholds by layer: an array per layer by unit; a missing unit is an error", () => {
  const rows = [
    { layer: "b", unit: 1, threshold: 0.5 },
    { layer: "a", unit: 0, threshold: 2 },
    { layer: "b", unit: 0, threshold: 0.25 },
  ];
  const layers = [{ layer: "a", units: 1 }, { layer: "b", units: 2 }];
  assertEquals(thresholdsByLayer(rows, layers, "iou"), [
    Float64Array.of(2),
    Float64Array.of(0.25, 0.5),
  ]);
  assertThrows(
    () => thresholdsByLayer(rows, [{ layer: "a", units: 2 }], "iou"),
    DissectError,
    'iou: the thresholds lack units of layer "a"',
  );
});

Deno.test("thresholds read back per layer with their edge mode; other resolutions are refused", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const file = (name: string) => join(dir, `${name}.parquet`);
  const conn = await connect();
  await conn.run(`COPY (SELECT * FROM (VALUES ('l1', 1, 0.5, 0.01), ('l1', 0, 0.25, 0.01),
    ('l2', 0, 2.0, 0.01)) t(layer, unit, threshold, fraction_above)) TO '${
    file("thresholds")
  }' (FORMAT parquet)`);
  await conn.run(`COPY (SELECT * FROM (VALUES ('l1', 0.01, 'upsampled', 'zeros', 8, 8),
    ('l2', 0.01, 'upsampled', 'zeros', 8, 8)) t(layer, q, over, border, height, width))
    TO '${file("threshold_definition")}' (FORMAT parquet)`);
  conn.closeSync();
  const ref = { table: file };
  const layers = [{ layer: "l1", units: 2 }, { layer: "l2", units: 1 }];
  const read = await readThresholds(ref, layers, 8, 8, "iou");
  assertEquals(read.border, "zeros");
  assertEquals(read.thresholds.map((t) => [...t]), [[0.25, 0.5], [2]]);
  await assertRejects(() => readThresholds(ref, layers, 16, 16, "iou"));
  await assertRejects(
    () => readThresholds(ref, [{ layer: "l2", units: 2 }], 8, 8, "iou"),
    (e) => assertEquals(e.message, 'iou: the thresholds lack units of layer "l2"'),
  );
});

Deno.test("a quantile in shards (passes counted apart, merged, state handed on as JSON) equals one pass over all", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const [n, units, h, w] = [23, 5, 3, 3];
  const random = seededRandom(11);
  // Few distinct values (many ties) and a spread: both must come out the same.
  const values = Float32Array.from(
    { length: n * units * h * w },
    (_, i) => i % 3 ? Math.round(random() * 8) / 4 : random() * 10 - 2,
  );
  await Deno.writeFile(join(dir, layerFile("l")), new Uint8Array(values.buffer));
  await writeActivationsMeta(dir, {
    count: n,
    layers: [{ layer: "l", units, height: h, width: w }],
  });
  const acts = new ActivationReader(dir);
  for (const over of ["upsampled", "layer"] as const) {
    const def = { q: 0.05, over, border: "zeros" as Border, height: 8, width: 8 };
    const whole = await layerThresholds(acts, "l", def, { batch: 4 });
    for (const cuts of [[0, 23], [0, 1, 12, 23], [0, 5, 6, 7, 20, 23]]) {
      let state: QuantileState | null = null;
      for (;;) {
        const parts: Float64Array[] = [];
        for (const [k, end] of cuts.slice(1).entries()) {
          const range = { start: cuts[k], end };
          parts.push(...await countPass(acts, [{ layer: "l", state }], def, range, { batch: 4 }));
        }
        const merged = mergePass(acts.shape("l"), def, n, state, parts, "l");
        if ("thresholds" in merged) {
          assertEquals(merged.thresholds, whole, `${over}, cuts ${cuts}`);
          break;
        }
        state = JSON.parse(JSON.stringify(merged.state));
      }
    }
  }
});

Deno.test("a definition needs the same images", () => {
  const p = { q: 0.01, over: "upsampled" as const, border: "zeros" as const };
  assertEquals(thresholdDefinition("quantile", 4, { count: 4, height: 8, width: 8 }, p), {
    ...p,
    height: 8,
    width: 8,
  });
  assertThrows(
    () => thresholdDefinition("quantile", 5, { count: 4, height: 8, width: 8 }, p),
    DissectError,
    "quantile: activations (5 images) and segmentation (4) must describe the same images",
  );
});

Deno.test("the floor's target is pass 1's to the last bit: q * N values where q * n * m rounds apart", () => {
  // q * 6 * 25 is 51 and q * (6 * 25) is 51.00000000000001: with the first as the floor's target,
  // a floor reached by exactly 51 values would lie above the threshold's bucket.
  const q = 0.34, n = 6;
  const data = new Float32Array([
    ...[1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, -5, -5, -5],
    ...new Array(12).fill(0.7),
  ]);
  const run = (images?: number) => {
    const tq = new TopQuantile(1, 4, q, "x", new SourceGrid(2, 2, 5, 5, "border"), images);
    tq.observe(data, n);
    tq.nextPass();
    tq.observe(data, n);
    return tq.thresholds()[0];
  };
  const floored = run(n);
  assertEquals(floored, run(undefined));
  assertEquals(floored.fractionAbove, 51 / 150);
});
