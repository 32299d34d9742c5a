import { renderItem } from "./render.ts";
import { splitItem, splitItems, type SplitName } from "./splits.ts";
import { halfBoxFlags } from "./half_parts.ts";
import { assertEquals, sha256 } from "./test_util.ts";
import { FOCAL_OBJECTS, MATERIALS, objectId, OBJECTS, PARTS, SCENES } from "./vocabulary.ts";

function digest(split: SplitName, n: number, seed: number, size = 64): string {
  const parts: Uint8Array[] = [];
  for (const it of splitItems(split, n, seed)) {
    const r = renderItem(split, it, size);
    parts.push(r.rgb, r.object, r.part, r.material, r.halfbox, new Uint8Array([r.label]));
  }
  return sha256(...parts);
}

Deno.test("rendering is deterministic: same seed, same bytes", () => {
  for (const split of ["train", "val", "objects", "church"] as const) {
    assertEquals(digest(split, 20, 5), digest(split, 20, 5), split);
  }
  assertEquals(digest("train", 20, 5) === digest("train", 20, 6), false);
  assertEquals(digest("train", 14, 5) === digest("val", 14, 5), false);
});

Deno.test("any size renders, with maps of the right length", () => {
  for (const size of [32, 64, 96, 128]) {
    const r = renderItem("train", splitItem("train", 3, 1), size);
    assertEquals([r.rgb.length, r.object.length, r.halfbox.length], [
      size * size * 3,
      size * size,
      size * size,
    ]);
  }
});

/** Which objects occur in which labels, over n images of a split. */
function occurrences(split: SplitName, n: number) {
  const perObject = OBJECTS.map(() => new Set<number>());
  const labels = new Set<number>();
  const parts = new Set<number>(), materials = new Set<number>();
  for (const it of splitItems(split, n, 1)) {
    const r = renderItem(split, it, 64);
    labels.add(r.label);
    for (const o of new Set(r.object)) perObject[o].add(r.label);
    for (const p of new Set(r.part)) parts.add(p);
    for (const m of new Set(r.material)) materials.add(m);
    checkInvariants(r);
  }
  return { perObject, labels, parts, materials };
}

const PARENT = PARTS.map((p) => (p.parent === "none" ? 0 : objectId(p.parent)));

/** Ground truth is internally consistent for every image. */
function checkInvariants(r: ReturnType<typeof renderItem>): void {
  const n = r.width * r.height;
  for (let i = 0; i < n; i++) {
    if (r.object[i] === 0 || r.object[i] >= OBJECTS.length) {
      throw new Error(`bad object id at ${i}`);
    }
    if (r.part[i] >= PARTS.length || r.material[i] >= MATERIALS.length) {
      throw new Error(`bad id at ${i}`);
    }
    if (r.part[i] && PARENT[r.part[i]] !== r.object[i]) {
      throw new Error(`part ${PARTS[r.part[i]].name} on object ${OBJECTS[r.object[i]]}`);
    }
    const f = r.halfbox[i];
    if (((f & 3) !== 1 && (f & 3) !== 2) || ((f & 12) !== 4 && (f & 12) !== 8)) {
      throw new Error(`bad halfbox flags ${f} at ${i}`);
    }
  }
  assertEquals(r.halfbox, halfBoxFlags(r.object, r.width, r.height));
}

for (const split of ["train", "val"] as const) {
  Deno.test(`${split}: every scene class, object, part and material occurs in 600 images`, () => {
    const { perObject, labels, parts, materials } = occurrences(split, 600);
    assertEquals(labels.size, SCENES.length);
    const missing = OBJECTS.filter((_, o) => o > 0 && perObject[o].size === 0);
    assertEquals(missing, []);
    assertEquals(PARTS.filter((_, p) => !parts.has(p)).map((p) => p.name), []);
    assertEquals(MATERIALS.filter((_, m) => !materials.has(m)), []);
  });
}

Deno.test("no single object determines the scene class (each occurs in >= 2 classes)", () => {
  const { perObject } = occurrences("train", 1400);
  const single = OBJECTS.filter((_, o) => o > 0 && perObject[o].size < 2);
  assertEquals(single, []);
});

Deno.test("objects split: every focal label occurs and is drawn in its image", () => {
  const seen = new Set<number>();
  for (const it of splitItems("objects", 150, 1)) {
    const r = renderItem("objects", it, 64);
    checkInvariants(r);
    seen.add(r.label);
    const id = objectId(FOCAL_OBJECTS[r.label]);
    const area = r.object.filter((o) => o === id).length;
    if (area < 40) {
      throw new Error(`focal ${FOCAL_OBJECTS[r.label]} covers only ${area} px in item ${it.index}`);
    }
    // No other focal class appears, so "object present" is exactly the label.
    for (const f of FOCAL_OBJECTS) {
      if (f !== FOCAL_OBJECTS[r.label] && r.object.includes(objectId(f))) {
        throw new Error(`item ${it.index} (${FOCAL_OBJECTS[r.label]}) also shows ${f}`);
      }
    }
  }
  assertEquals(seen.size, FOCAL_OBJECTS.length);
});

Deno.test("church split: trees in most images, doors on most", () => {
  let trees = 0, doors = 0, buildings = 0;
  const n = 200;
  for (const it of splitItems("church", n, 1)) {
    const r = renderItem("church", it, 64);
    if (r.object.includes(objectId("tree"))) trees++;
    if (r.object.includes(objectId("building"))) buildings++;
    if (r.part.includes(PARTS.findIndex((p) => p.name === "door"))) doors++;
  }
  if (trees < 0.7 * n || doors < 0.7 * n || buildings < 0.95 * n) {
    throw new Error(`church split: trees ${trees}, doors ${doors}, buildings ${buildings} of ${n}`);
  }
});
