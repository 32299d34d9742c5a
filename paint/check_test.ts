import { assert, assertEquals } from "../tests/assert.ts";
import { tinyGanFiles } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import type { PaletteConcept } from "./palette.ts";
import { PaintCheck, paintingsOf, paletteRows } from "./check.ts";

const palette: PaletteConcept[] = [
  { name: "tree", category: "object", area: 40, units: [{ unit: 3, iou: 0.2, threshold: 1.5 }] },
  {
    name: "brick",
    category: "material",
    area: 9,
    units: [{ unit: 1, iou: 0.3, threshold: 2 }, { unit: 4, iou: 0.1, threshold: 0.5 }],
  },
];

Deno.test("palette rows: concept by concept, units by rank", () => {
  assertEquals(paletteRows(palette).map((r) => [r.position, r.concept, r.rank, r.unit]), [
    [0, "tree", 0, 3],
    [1, "brick", 0, 1],
    [1, "brick", 1, 4],
  ]);
  assertEquals(paletteRows(palette)[2], {
    position: 1,
    concept: "brick",
    category: "material",
    area: 9,
    rank: 1,
    unit: 4,
    iou: 0.1,
    threshold: 0.5,
  });
});

Deno.test("paintings: each concept's pixels inside and outside the region, unedited and painted", () => {
  // Two samples, 2x2 images (region: the top row); copy c of sample i is image c * 2 + i:
  // unedited (0, 1), tree painted (2, 3), brick painted (4, 5).
  const inside = Uint8Array.of(1, 1, 0, 0);
  const tree = 5, brick = 2, _ = 0;
  // deno-fmt-ignore
  const object = Uint8Array.of(
    _, _, tree, _, /* sample 0 unedited: one tree outside */
    tree, _, _, _, /* sample 1 unedited: one tree inside */
    tree, tree, tree, _, /* sample 0, tree painted */
    tree, tree, tree, tree, /* sample 1, tree painted */
    _, _, _, _,
    _, _, _, _,
  );
  // deno-fmt-ignore
  const material = Uint8Array.of(
    brick, _, _, _, /* sample 0 unedited: one brick inside */
    _, _, _, _,
    _, _, _, _,
    _, _, _, _,
    brick, brick, _, brick, /* sample 0, brick painted */
    _, brick, _, _, /* sample 1, brick painted */
  );
  const rows = paintingsOf(
    { start: 7, n: 2, maps: { object, material } },
    palette,
    [tree, brick],
    inside,
  );
  const counts = (
    r: (typeof rows)[number],
  ) => [r.image, r.concept, r.inside_before, r.inside_after, r.outside_before, r.outside_after];
  assertEquals(rows.map(counts), [
    [7, "tree", 0, 2, 1, 1],
    [7, "brick", 1, 2, 0, 1],
    [8, "tree", 1, 2, 0, 2],
    [8, "brick", 0, 1, 0, 0],
  ]);
  assert(rows.every((r) => r.region_pixels === 2 && r.outside_pixels === 2));
});

Deno.test("the check paints a batch of samples: a function of that batch alone, with examples", async () => {
  await using tmp = await scratchDir("dissect-gan-");
  const files = await tinyGanFiles(tmp.path, 5);
  const open = () =>
    PaintCheck.open({
      ...files,
      generator: "toy generator",
      segmenter: "toy segmenter",
      layer: "layer1",
      // The toy generator has 3 units: unit 1 drawn at t_u 6.
      palette: [{ ...palette[0], units: [{ unit: 1, iou: 0.2, threshold: 6 }] }],
      boost: 1,
      region: [0.25, 0.25, 0.75, 0.75],
      threads: 1,
    });
  const check = await open();
  assertEquals([check.samples, check.size], [5, 64]);
  const first = await check.paint(0, 2, 1), second = await check.paint(2, 4, 9);
  await check.release();
  assertEquals(first.rows.map((r) => [r.image, r.concept]), [[0, "tree"], [1, "tree"]]);
  assertEquals(second.rows.map((r) => r.image), [2, 3]);
  assertEquals(first.rows[0].region_pixels, 32 * 32, "the middle half of 64 px");
  // Examples: the first `keep` samples, unedited then painted with each concept.
  assertEquals([first.examples.length, second.examples.length], [1, 2]);
  assert(first.examples[0].every((im) => im.length === 64 * 64 * 3));
  assertEquals(first.examples[0].length, 2);
  // Samples 2 and 3 painted on their own, by a fresh check, come out the same.
  const fresh = await open();
  assertEquals(await fresh.paint(2, 4, 9), second);
  await fresh.release();
});
