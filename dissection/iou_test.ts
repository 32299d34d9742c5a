/**
 * Method validity without a trained model: IoU counts equal a brute-force
 * reference on small random cases; a unit planted to fire exactly on one
 * concept is labeled with it at IoU >= 0.95; a unit of pure noise scores < 0.05.
 */
import { assert, assertEquals } from "../tests/assert.ts";
import { CONCEPT_SLOTS, IouCounter } from "./iou.ts";
import { axis } from "./upsample.ts";
import { seededRandom } from "../stats/random.ts";

/** Straightforward bilinear interpolation of one pixel, for the reference. */
function bilinearAt(
  map: Float32Array,
  h: number,
  w: number,
  H: number,
  W: number,
  y: number,
  x: number,
) {
  const sy = Math.min(h - 1, Math.max(0, (y + 0.5) * (h / H) - 0.5));
  const sx = Math.min(w - 1, Math.max(0, (x + 0.5) * (w / W) - 0.5));
  const y0 = Math.floor(sy), x0 = Math.floor(sx);
  const y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
  const fy = sy - y0, fx = sx - x0;
  const top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
  const bot = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
  return top * (1 - fy) + bot * fy;
}

Deno.test("the upsampling axis matches the reference sampling positions", () => {
  const a = axis(4, 16);
  assertEquals([a.i0[0], a.i1[0], a.w1[0]], [0, 1, 0]);
  assertEquals([a.i0[15], a.i1[15]], [3, 3]);
});

Deno.test("IoU counts equal a brute-force reference on random cases", () => {
  const rand = seededRandom(9);
  for (const [h, w, H, W] of [[3, 3, 12, 12], [4, 2, 8, 8], [5, 5, 5, 5]]) {
    const units = 5, concepts = 7, images = 6;
    const thresholds = Float64Array.from({ length: units }, () => rand() * 0.8);
    const counter = new IouCounter(units, concepts, h, w, H, W, thresholds);
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
      counter.addConcepts(pc);
      counter.addImage(acts, 0, pc);
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
            if (!(bilinearAt(map, h, w, H, W, y, x) > thresholds[u])) continue;
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
    counter.addConcepts(pcs[i]);
    counter.addImage(acts[i], 0, pcs[i]);
  }
  const best = (u: number) =>
    [0, 1, 2].map((c) => counter.iou(u, c)).reduce((a, b) => Math.max(a, b));
  assert(
    counter.iou(0, 0) >= 0.95 && counter.iou(0, 0) === best(0),
    `planted IoU ${counter.iou(0, 0)}`,
  );
  assert(best(1) < 0.05, `noise IoU ${best(1)}`);
});
