import { labelSpace, splitItem, splitItems, SPLITS } from "./splits.ts";
import { assertEquals } from "./test_util.ts";
import { FOCAL_OBJECTS, sceneId, SCENES } from "./vocabulary.ts";

Deno.test("splitItems is deterministic and matches random access", () => {
  const a = splitItems("train", 100, 7), b = splitItems("train", 100, 7);
  assertEquals(a, b);
  assertEquals(splitItem("train", 57, 7), a[57]);
  assertEquals(splitItems("train", 10, 8).map((x) => x.seed) === a.map((x) => x.seed), false);
});

Deno.test("scene splits are balanced: each block of K items has every label once", () => {
  for (const split of ["train", "val", "objects"] as const) {
    const k = labelSpace(split).length;
    const items = splitItems(split, 5 * k, 3);
    for (let b = 0; b < 5; b++) {
      const labels = items.slice(b * k, (b + 1) * k).map((x) => x.label).sort((x, y) => x - y);
      assertEquals(labels, Array.from({ length: k }, (_, i) => i));
    }
  }
  assertEquals(labelSpace("train"), SCENES);
  assertEquals(labelSpace("objects"), FOCAL_OBJECTS);
  assertEquals(
    new Set(splitItems("church", 50, 1).map((x) => x.label)),
    new Set([sceneId("church_outdoor")]),
  );
});

Deno.test("seeds are unique within a split and disjoint across splits", () => {
  const seen = new Map<number, string>();
  for (const split of SPLITS) {
    for (const it of splitItems(split, 20000, 1)) {
      const prev = seen.get(it.seed);
      assertEquals(
        prev,
        undefined,
        `seed ${it.seed} of ${split}#${it.index} already used by ${prev}`,
      );
      seen.set(it.seed, `${split}#${it.index}`);
      assertEquals(it.seed >>> 30, SPLITS.indexOf(split));
    }
  }
});
