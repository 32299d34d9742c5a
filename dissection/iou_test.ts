/**
 * Method validity without a trained model: IoU counts equal a brute-force
 * reference on small random cases; a unit planted to fire exactly on one
 * concept is labeled with it at IoU >= 0.95; a unit of pure noise scores < 0.05.
 */
import { assert, assertEquals } from "../tests/assert.ts";
import { IouCounter, type PixelConcepts, unitResults } from "./iou.ts";
import { axis, type Border, BORDERS, Upsampler } from "./upsample.ts";
import { seededRandom } from "../stats/random.ts";

const CONCEPT_SLOTS = 6;

/** Concepts per pixel as CONCEPT_SLOTS ids each (-1 = none); tallies are concept counts. */
class SlotConcepts implements PixelConcepts {
  /** The tally has one entry per concept. */
  constructor(readonly slots: Int32Array, readonly tallySize: number) {}
  tally(runs: Int32Array, n: number, tally: Int32Array, base: number): void {
    for (let i = 0; i < 2 * n; i += 2) {
      for (let p = runs[i]; p < runs[i + 1]; p++) {
        for (let k = 0; k < CONCEPT_SLOTS; k++) {
          const c = this.slots[p * CONCEPT_SLOTS + k];
          if (c >= 0) tally[base + c]++;
        }
      }
    }
  }
  addTallied(tally: Int32Array, base: number, counts: Float64Array, countsBase: number): void {
    for (let c = 0; c < this.tallySize; c++) counts[countsBase + c] += tally[base + c];
  }
}

/** Every pixel's concepts into the counter's concept areas, as the segment stage counts them. */
function addConcepts(counter: IouCounter, concepts: PixelConcepts) {
  const tally = new Int32Array(concepts.tallySize);
  concepts.tally(Int32Array.of(0, counter.H * counter.W), 1, tally, 0);
  concepts.addTallied(tally, 0, counter.conceptArea, 0);
}

/**
 * Straightforward bilinear interpolation of one pixel, for the reference:
 * sampling position (y + 0.5) * h / H - 0.5; "border" clamps it to the outer
 * centres, "zeros" reads 0 for any cell outside the map.
 */
function bilinearAt(
  map: Float32Array,
  h: number,
  w: number,
  H: number,
  W: number,
  y: number,
  x: number,
  border: Border,
) {
  let sy = (y + 0.5) * (h / H) - 0.5, sx = (x + 0.5) * (w / W) - 0.5;
  if (border === "border") {
    sy = Math.min(h - 1, Math.max(0, sy));
    sx = Math.min(w - 1, Math.max(0, sx));
  }
  const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
  const at = (i: number, j: number) => {
    if (border === "border") return map[Math.min(h - 1, i) * w + Math.min(w - 1, j)];
    return i < 0 || j < 0 || i >= h || j >= w ? 0 : map[i * w + j];
  };
  const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
  const bot = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx;
  return top * (1 - fy) + bot * fy;
}

Deno.test("the upsampling axis matches the reference sampling positions", () => {
  const a = axis(4, 16, "border");
  assertEquals([a.i0[0], a.i1[0], a.w1[0]], [0, 1, 0]);
  assertEquals([a.i0[15], a.i1[15]], [3, 3]);
  // Zeros: indices into the map inside a ring of zeros; pixel 0 samples -0.375 (index 0.625).
  const z = axis(4, 16, "zeros");
  assertEquals([z.i0[0], z.i1[0], z.w1[0]], [0, 1, 0.625]);
  assertEquals([z.i0[15], z.i1[15], z.w1[15]], [4, 5, 0.375]);
});

for (const border of BORDERS) {
  Deno.test(`Upsampler (${border}) equals the direct bilinear reference`, () => {
    const rand = seededRandom(21);
    for (const [h, w, H, W] of [[3, 5, 17, 23], [4, 4, 64, 64], [6, 6, 6, 6], [1, 3, 8, 9]]) {
      const map = Float32Array.from({ length: h * w }, () => rand() * 2 - 0.5);
      const out = new Float32Array(H * W);
      new Upsampler(h, w, H, W, border).run(map, 0, out);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const ref = bilinearAt(map, h, w, H, W, y, x, border);
          assert(Math.abs(out[y * W + x] - ref) <= 1e-6, `${h}x${w}->${H}x${W} (${y},${x})`);
        }
      }
      if (h === H && w === W) assertEquals(out, map);
    }
  });
}

Deno.test("zero padding fades the outer band as the paper's code does (14 -> 56)", () => {
  // A constant map of ones upsampled 4x with zeros around it: the two outer rows
  // sample positions -0.375 and -0.125 of the map, so they read 0.625 and 0.875.
  const out = new Float32Array(56 * 56);
  new Upsampler(14, 14, 56, 56, "zeros").run(new Float32Array(14 * 14).fill(1), 0, out);
  assertEquals([out[0], out[1], out[2], out[56 * 28 + 1], out[56 * 28 + 28]], [
    0.625 * 0.625,
    0.625 * 0.875,
    0.625,
    0.875,
    1,
  ]);
  const clamped = new Float32Array(56 * 56);
  new Upsampler(14, 14, 56, 56, "border").run(new Float32Array(14 * 14).fill(1), 0, clamped);
  assert(clamped.every((v) => v === 1));
});

for (const border of BORDERS) {
  Deno.test(`IoU counts equal a brute-force reference on random cases (${border})`, () => {
    const rand = seededRandom(9);
    for (const [h, w, H, W] of [[3, 3, 12, 12], [4, 2, 8, 8], [5, 5, 5, 5]]) {
      const units = 5, concepts = 7, images = 6;
      const thresholds = Float64Array.from({ length: units }, () => rand() * 0.8);
      const counter = new IouCounter(units, concepts, h, w, H, W, thresholds, border);
      const inter = new Float64Array(units * concepts), unitArea = new Float64Array(units);
      const conceptArea = new Float64Array(concepts);
      for (let i = 0; i < images; i++) {
        const acts = Float32Array.from({ length: units * h * w }, () => rand());
        const pc = new Int32Array(H * W * CONCEPT_SLOTS).fill(-1);
        for (let p = 0; p < H * W; p++) {
          const k = Math.floor(rand() * 3);
          const chosen = new Set<number>();
          for (let j = 0; j < k; j++) chosen.add(Math.floor(rand() * concepts));
          [...chosen].forEach((c, j) => (pc[p * CONCEPT_SLOTS + j] = c));
        }
        addConcepts(counter, new SlotConcepts(pc, concepts));
        counter.addImage(acts, 0, new SlotConcepts(pc, concepts));
        // Reading the counts midway settles the tallies; counting goes on after.
        if (i === 2) assert(counter.intersection.length === units * concepts);
        for (let p = 0; p < H * W; p++) {
          for (let j = 0; j < CONCEPT_SLOTS; j++) {
            const c = pc[p * CONCEPT_SLOTS + j];
            if (c >= 0) conceptArea[c]++;
          }
        }
        for (let u = 0; u < units; u++) {
          const map = acts.subarray(u * h * w, (u + 1) * h * w);
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) {
              if (!(bilinearAt(map, h, w, H, W, y, x, border) > thresholds[u])) continue;
              unitArea[u]++;
              const p = y * W + x;
              for (let j = 0; j < CONCEPT_SLOTS; j++) {
                const c = pc[p * CONCEPT_SLOTS + j];
                if (c >= 0) inter[u * concepts + c]++;
              }
            }
          }
        }
      }
      assertEquals(counter.conceptArea, conceptArea);
      // Float rounding of the two interpolation orders may flip a pixel sitting exactly on t.
      const diff = counter.unitArea.reduce((s, v, u) => s + Math.abs(v - unitArea[u]), 0);
      assert(diff <= 1, `unit areas differ by ${diff}`);
      const idiff = counter.intersection.reduce((s, v, k) => s + Math.abs(v - inter[k]), 0);
      assert(idiff <= CONCEPT_SLOTS, `intersections differ by ${idiff}`);
    }
  });
}

for (const border of BORDERS) {
  Deno.test(`sparse block counting equals thresholding the whole upsampled map, exactly (${border})`, () => {
    const rand = seededRandom(5);
    for (
      const [h, w, H, W] of [[4, 4, 64, 64], [3, 5, 17, 40], [7, 7, 7, 7], [1, 2, 6, 6], [
        4,
        5,
        32,
        6,
      ]]
    ) {
      const units = 9, concepts = 5;
      // Blobs over a low floor: blocks entirely above, entirely below and straddling t.
      const acts = Float32Array.from({ length: units * h * w }, (_, i) => {
        const r = rand();
        // Unit 5 is wholly negative, under a negative threshold: with zeros around the
        // map, its outer band rises toward 0 and crosses t although no input is above it.
        const shift = Math.floor(i / (h * w)) === 5 ? -1.2 : 0;
        return (r < 0.3 ? 0.9 + rand() * 0.1 : r * 0.5) + shift;
      });
      const up = new Upsampler(h, w, H, W, border), map = new Float32Array(H * W);
      // Units 6 to 8 get the upsampled value of one of their own pixels as t, so
      // some pixels sit exactly on t (out) and others within rounding of it.
      const thresholds = Float64Array.from({ length: units }, (_, u) => {
        if (u === 5) return -0.2;
        if (u < 6) return [0.2, 0.45, 0.6, 0.89][u % 4];
        up.run(acts, u * h * w, map);
        return map[Math.floor(rand() * H * W)];
      });
      const slots = Int32Array.from(
        { length: H * W * CONCEPT_SLOTS },
        (_, i) => i % CONCEPT_SLOTS < 2 ? Math.floor(rand() * concepts) : -1,
      );
      const counter = new IouCounter(units, concepts, h, w, H, W, thresholds, border);
      counter.addImage(acts, 0, new SlotConcepts(slots, concepts));
      const inter = new Float64Array(units * concepts), area = new Float64Array(units);
      let full = 0;
      for (let u = 0; u < units; u++) {
        up.run(acts, u * h * w, map);
        for (let p = 0; p < H * W; p++) {
          if (!(map[p] > thresholds[u])) continue;
          area[u]++;
          for (let k = 0; k < CONCEPT_SLOTS; k++) {
            const c = slots[p * CONCEPT_SLOTS + k];
            if (c >= 0) inter[u * concepts + c]++;
          }
        }
        if (area[u] === H * W) full++;
      }
      assertEquals(counter.unitArea, area);
      assertEquals(counter.intersection, inter);
      assert(area.some((a) => a > 0 && a < H * W), "some unit straddles its threshold");
      assert(full < units, "not every unit covers the whole image");
    }
  });
}

Deno.test("a planted unit is labeled with its concept at IoU >= 0.95; a noise unit scores < 0.05", () => {
  const rand = seededRandom(3);
  const H = 32, W = 32, h = 8, w = 8, concepts = 3, images = 40;
  // Concept 0: a random axis-aligned block per image (aligned to the 4x4 cells of the map).
  // Unit 0 fires exactly on it (1 inside, 0 outside); unit 1 is noise.
  const acts: Float32Array[] = [];
  const pcs: Int32Array[] = [];
  for (let i = 0; i < images; i++) {
    const x0 = Math.floor(rand() * 5), y0 = Math.floor(rand() * 5);
    const a = new Float32Array(2 * h * w);
    const pc = new Int32Array(H * W * CONCEPT_SLOTS).fill(-1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inside = y >= y0 && y < y0 + 3 && x >= x0 && x < x0 + 3;
        a[y * w + x] = inside ? 1 : 0;
        a[h * w + y * w + x] = rand();
      }
    }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = y >= y0 * 4 && y < (y0 + 3) * 4 && x >= x0 * 4 && x < (x0 + 3) * 4;
        pc[(y * W + x) * CONCEPT_SLOTS] = inside ? 0 : 1 + (x % 2); // background concepts 1, 2
      }
    }
    acts.push(a);
    pcs.push(pc);
  }
  // Thresholds: 0.5 for the planted unit (between its two levels), the top 1% for noise.
  const counter = new IouCounter(2, concepts, h, w, H, W, Float64Array.from([0.5, 0.99]));
  for (let i = 0; i < images; i++) {
    addConcepts(counter, new SlotConcepts(pcs[i], concepts));
    counter.addImage(acts[i], 0, new SlotConcepts(pcs[i], concepts));
  }
  const best = (u: number) =>
    [0, 1, 2].map((c) => counter.iou(u, c)).reduce((a, b) => Math.max(a, b));
  assert(
    counter.iou(0, 0) >= 0.95 && counter.iou(0, 0) === best(0),
    `planted IoU ${counter.iou(0, 0)}`,
  );
  assert(best(1) < 0.05, `noise IoU ${best(1)}`);
});

Deno.test("unit results: every overlapped concept with its counts, and the best as the label", () => {
  // Two units, three concepts on a 1x2 map upsampled to 2x2 (border: the map's own values).
  const counter = new IouCounter(2, 3, 1, 2, 2, 2, Float64Array.of(0.5, 0.5), "border");
  // Pixels: concept 0 on the left column, concept 1 on the right, concept 2 nowhere.
  const slots = Int32Array.from({ length: 4 * CONCEPT_SLOTS }, (_, i) => {
    if (i % CONCEPT_SLOTS) return -1;
    return (i / CONCEPT_SLOTS) % 2;
  });
  addConcepts(counter, new SlotConcepts(slots, 3));
  // Unit 0 fires on the right column; unit 1 nowhere.
  counter.addImage(Float32Array.of(0, 1, 0, 0), 0, new SlotConcepts(slots, 3));
  const { pairs, labels } = unitResults(counter);
  assertEquals(pairs, [{
    unit: 0,
    concept: 1,
    intersection: 2,
    unitArea: 2,
    conceptArea: 2,
    iou: 1,
  }]);
  assertEquals(labels, [{ unit: 0, concept: 1, iou: 1 }, { unit: 1, concept: 0, iou: 0 }]);
});

Deno.test("a NaN at a row's start does not hide the row: masks as each block's own test makes them", () => {
  const none: PixelConcepts = { tallySize: 1, tally() {}, addTallied() {} };
  for (const border of BORDERS) {
    const areas = [[NaN, 5, NaN, 5], [5, NaN, 5, NaN]].map((map) => {
      const c = new IouCounter(1, 1, 2, 2, 4, 4, new Float64Array([0.5]), border);
      c.addImage(new Float32Array(map), 0, none);
      return c.unitArea[0];
    });
    assertEquals(areas[0], areas[1], `${border}: mirrored maps`);
    assert(areas[0] > 0, `${border}: the column of 5s is above 0.5`);
  }
});
