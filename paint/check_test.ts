import { assertEquals } from "../tests/assert.ts";
import type { PaletteConcept } from "./palette.ts";
import { paintingsOf, paletteRows } from "./check.ts";

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
  // One sample, 2x2 images (region: the top row), copies: unedited, tree painted, brick painted.
  const inside = Uint8Array.of(1, 1, 0, 0);
  const tree = 5, brick = 2;
  const object = Uint8Array.of(
    0,
    0,
    tree,
    0, // unedited: one tree pixel outside
    tree,
    tree,
    tree,
    0, // tree painted: two inside, one outside
    0,
    0,
    0,
    0,
  );
  const material = Uint8Array.of(
    brick,
    0,
    0,
    0, // unedited: one brick pixel inside
    0,
    0,
    0,
    0,
    brick,
    brick,
    0,
    brick, // brick painted
  );
  const rows = paintingsOf(
    { start: 7, n: 1, maps: { object, material } },
    palette,
    [tree, brick],
    inside,
  );
  assertEquals(rows, [
    {
      image: 7,
      concept: "tree",
      region_pixels: 2,
      outside_pixels: 2,
      inside_before: 0,
      inside_after: 2,
      outside_before: 1,
      outside_after: 1,
    },
    {
      image: 7,
      concept: "brick",
      region_pixels: 2,
      outside_pixels: 2,
      inside_before: 1,
      inside_after: 2,
      outside_before: 0,
      outside_after: 1,
    },
  ]);
});
