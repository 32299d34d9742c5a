import { assertEquals, assertThrows } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { DissectError } from "../engine/errors.ts";
import { type ClassMap, newClassMap } from "../data/class_map.ts";
import {
  buildVocabulary,
  PlaneConcepts,
  planesFrom,
  planesOf,
  type Vocabulary,
} from "./concepts.ts";
import { halfBoxFlags } from "./half_parts.ts";

const names = (
  prefix: string,
  n: number,
) => ["none", ...Array.from({ length: n - 1 }, (_, k) => `${prefix}${k + 1}`)];

/** A small vocabulary, whose planes are bytes, and one of Broden's scale, whose planes are 16-bit. */
const VOCABS: { what: string; vocab: Vocabulary; width: 1 | 2 }[] = [
  {
    what: "bytes",
    width: 1,
    vocab: buildVocabulary({
      objects: ["none", "house", "tree", "car"],
      parts: ["none", "door", "window"],
      materials: ["none", "brick", "glass"],
      colors: ["red", "green"],
    }),
  },
  {
    what: "16-bit (584 objects, 1452 parts)",
    width: 2,
    vocab: buildVocabulary({
      objects: names("object", 584),
      parts: names("part", 1452),
      materials: names("material", 32),
      colors: names("color", 11).slice(1),
    }),
  },
];

/** Every concept at one pixel, the slow and obvious way. */
function conceptsAt(vocab: Vocabulary, planes: Record<string, ClassMap>, p: number): number[] {
  const out = [vocab.object[planes.object[p]], vocab.part[planes.part[p]]];
  out.push(vocab.material[planes.material[p]], vocab.color[planes.color[p]]);
  for (let bit = 0; bit < 4; bit++) {
    if (planes.halfbox[p] & (1 << bit)) out.push(vocab.half[planes.object[p] * 4 + bit]);
  }
  return out.filter((c) => c >= 0);
}

for (const { what, vocab, width } of VOCABS) {
  Deno.test(`PlaneConcepts counts every concept in the given runs of pixels, halves included: ${what}`, () => {
    const rand = seededRandom(4);
    const px = 400;
    for (let round = 0; round < 20; round++) {
      // Labels in stretches, as segmentations have them, with odd pixels; the last label too.
      const plane = (labels: number) => {
        const out = newClassMap(width, px);
        let v = 0;
        for (let p = 0; p < px; p++) {
          if (rand() < 0.15) v = Math.floor(rand() * labels);
          out[p] = rand() < 0.03 ? Math.floor(rand() * labels) : v;
        }
        out[px - 1] = labels - 1;
        return out;
      };
      const planes = {
        object: plane(vocab.object.length),
        part: plane(vocab.part.length),
        material: plane(vocab.material.length),
        color: plane(vocab.color.length),
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
          for (const c of conceptsAt(vocab, planes, p)) expected[3 + c]++;
        }
      }
      assertEquals(counted, expected);
    }
  });
}

Deno.test("planesFrom keeps each map's classes, 16-bit when a list has more than 256, and refuses a class beyond its list", () => {
  const H = 3, W = 4, px = H * W, n = 2;
  const rgb = new Uint8Array(n * px * 3).fill(200);
  for (const objects of [40, 300]) {
    const wide = objects > 256;
    const object = (wide ? new Uint16Array(n * px) : new Uint8Array(n * px))
      .map((_, p) => (p * 37) % objects);
    const part = new Uint8Array(n * px).map((_, p) => p % 5);
    const material = new Uint8Array(n * px).map((_, p) => p % 3);
    const names = (n: number) => Array.from({ length: n }, (_, k) => `c${k}`);
    const labels = { object: names(objects), part: names(5), material: names(3) };
    const planes = planesFrom({ object, part, material }, rgb, {
      n,
      height: H,
      width: W,
      labels,
      what: "test",
    });
    assertEquals(planes.BYTES_PER_ELEMENT, wide ? 2 : 1);
    for (let i = 0; i < n; i++) {
      const p = planesOf(planes, i, px),
        at = (m: ClassMap) => Array.from(m.subarray(i * px, (i + 1) * px));
      assertEquals([Array.from(p.object), Array.from(p.part), Array.from(p.material)], [
        at(object),
        at(part),
        at(material),
      ]);
      assertEquals(Array.from(p.halfbox), Array.from(halfBoxFlags(at(object), W, H)));
    }
    const beyond = object.slice();
    beyond[px + 5] = objects;
    assertThrows(
      () =>
        planesFrom({ object: beyond, part, material }, rgb, {
          n,
          height: H,
          width: W,
          labels,
          what: "test",
          start: 10,
        }),
      DissectError,
      `test: image 11 has object class ${objects}, its list has ${objects}`,
    );
  }
});
