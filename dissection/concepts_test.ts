import { assertEquals } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { buildVocabulary, PlaneConcepts } from "./concepts.ts";

const vocab = buildVocabulary({
  objects: ["none", "house", "tree", "car"],
  parts: ["none", "door", "window"],
  materials: ["none", "brick", "glass"],
  colors: ["red", "green"],
});

/** Every concept at one pixel, the slow and obvious way. */
function conceptsAt(planes: Record<string, Uint8Array>, p: number): number[] {
  const out = [vocab.object[planes.object[p]], vocab.part[planes.part[p]]];
  out.push(vocab.material[planes.material[p]], vocab.color[planes.color[p]]);
  for (let bit = 0; bit < 4; bit++) {
    if (planes.halfbox[p] & (1 << bit)) out.push(vocab.half[planes.object[p] * 4 + bit]);
  }
  return out.filter((c) => c >= 0);
}

Deno.test("PlaneConcepts counts every concept in the given runs of pixels, halves included", () => {
  const rand = seededRandom(4);
  const px = 400;
  for (let round = 0; round < 20; round++) {
    // Labels in stretches, as segmentations have them, with odd pixels.
    const plane = (labels: number) => {
      const out = new Uint8Array(px);
      let v = 0;
      for (let p = 0; p < px; p++) {
        if (rand() < 0.15) v = Math.floor(rand() * labels);
        out[p] = rand() < 0.03 ? Math.floor(rand() * labels) : v;
      }
      return out;
    };
    const planes = {
      object: plane(4),
      part: plane(3),
      material: plane(3),
      color: plane(2),
      halfbox: plane(16),
    };
    // Random runs of pixels, single pixels and the last pixel included.
    const runs: number[] = [];
    for (let p = Math.floor(rand() * 3); p < px;) {
      const end = Math.min(px, p + 1 + Math.floor(rand() * 20));
      runs.push(p, end);
      p = end + Math.floor(rand() * 10);
    }
    if (runs.at(-1) !== px) runs.push(px - 1, px);
    const counted = new Float64Array(2 * 3 + vocab.concepts.length).fill(7);
    new PlaneConcepts(vocab).use(planes).countRuns(
      Int32Array.from(runs),
      runs.length / 2,
      counted,
      3,
    );
    const expected = new Float64Array(counted.length).fill(7);
    for (let k = 0; k < runs.length; k += 2) {
      for (let p = runs[k]; p < runs[k + 1]; p++) {
        for (const c of conceptsAt(planes, p)) expected[3 + c]++;
      }
    }
    assertEquals(counted, expected);
  }
});
