/**
 * Every claim's rule on small hand-made tables: each verdict a rule can give,
 * including "not testable here" and the partial ones, from rows written here
 * (typed by the tables' declared schemas) rather than from a run.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/assert.ts";
import { InsufficientData } from "../measure.ts";
import { measureOn, type Rows, type Schema } from "./testing.ts";
import { PREDICTIONS_TABLE } from "../../onnx/classifier.ts";
import {
  IMPORTANCE_TABLE,
  REMOVAL_COUNTS_TABLE,
  SETTING_PREDICTIONS_TABLE,
  SETTINGS_TABLE,
} from "../../dissection/ablation.ts";
import { UNIT_LABELS_TABLE } from "../../dissection/unit_tables.ts";
import { OBJECT_PIXELS_TABLE, REMOVED_UNITS_TABLE } from "../../dissection/unit_removal.ts";
import { FORCED_UNITS_TABLE, INSERTIONS_TABLE } from "../../dissection/insertion.ts";
import { PAINTINGS_TABLE, PALETTE_TABLE } from "../../paint/check.ts";
import { ATTACKS_TABLE, PEAKS_TABLE } from "../../attack/campaign.ts";
import { SEGMENTER_SCORES_TABLE } from "../../dissection/segmenter_score.ts";
import activations from "../../stages/activations.ts";
import classify from "../../stages/classify.ts";
import unitClassifier from "../../stages/unit_classifier.ts";
import ganUnitClassifier from "../../stages/gan_unit_classifier.ts";
import { M1 } from "./M1.ts";
import { M2 } from "./M2.ts";
import { C1 } from "./C1.ts";
import { C2 } from "./C2.ts";
import { C3 } from "./C3.ts";
import { C4 } from "./C4.ts";
import { C5 } from "./C5.ts";
import { C6 } from "./C6.ts";
import { C7 } from "./C7.ts";
import { C8 } from "./C8.ts";
import { C9 } from "./C9.ts";
import { C10 } from "./C10.ts";
import { C11 } from "./C11.ts";
import { C12 } from "./C12.ts";
import { C13 } from "./C13.ts";

const range = (n: number) => [...Array(n).keys()];
/** The data cannot decide: the report shows the claim as inconclusive. */
const insufficient = (e: Error) => assert(e instanceof InsufficientData, e.message);
const LAYERS = activations.tables.layers as Schema;

// M1, M2 -------------------------------------------------------------------

/** 20 classes, 10 images each; the first `correct` images of each class are right. */
function m1Tables(correct: number): Record<string, [Schema, Rows]> {
  const predictions = range(200).map((image) => {
    const label = image % 20, ok = Math.floor(image / 20) < correct;
    return { image, label, predicted: ok ? label : (label + 1) % 20, correct: ok, top5: ok };
  });
  return {
    classify_val__predictions: [PREDICTIONS_TABLE, predictions],
    classify_val__classes: [
      classify.tables.classes,
      range(20).map((l) => ({ label: l, name: `c${l}` })),
    ],
  };
}

Deno.test("M1: top-1 above 5x chance holds, below it does not, across it is inconclusive", async () => {
  // Chance is 1/20, so the bar is 25%.
  assertEquals((await measureOn(M1, m1Tables(9))).verdict.outcome, "holds");
  assertEquals((await measureOn(M1, m1Tables(0))).verdict.outcome, "fails");
  assertEquals((await measureOn(M1, m1Tables(2.5))).verdict.outcome, "inconclusive");
});

Deno.test("M2: the segmenter's mean IoUs against their bars; no ground truth is inconclusive", async () => {
  const scores = (object: number, part: number, material: number | null) => ({
    segment_val__segmenter_scores: [SEGMENTER_SCORES_TABLE, [
      { category: "object", concept: "tree", iou: object },
      { category: "part", concept: "door", iou: part },
      ...(material === null ? [] : [{ category: "material", concept: "brick", iou: material }]),
    ]] as [Schema, Rows],
  });
  assertEquals((await measureOn(M2, scores(0.2, 0.1, 0.1))).verdict.outcome, "holds");
  assertEquals((await measureOn(M2, scores(0.19, 0.5, 0.5))).verdict.outcome, "fails");
  assertEquals((await measureOn(M2, scores(0.5, 0.5, null))).verdict.outcome, "inconclusive");
});

// C1, C2, C8: counts of labeled units per layer ------------------------------

/** Layers, and per layer the labels of its units: [category, concept name, iou]. */
function dissection(
  which: "val" | "gan",
  layers: Record<string, [string, string, number][]>,
): Record<string, [Schema, Rows]> {
  const names = Object.keys(layers);
  const ids = new Map<string, number>();
  const labels = names.flatMap((layer) =>
    layers[layer].map(([category, name, iou], unit) => {
      const concept = ids.get(`${category}/${name}`) ?? ids.size;
      ids.set(`${category}/${name}`, concept);
      return { layer, unit, concept, name, category, iou };
    })
  );
  return {
    [`activations_${which}__layers`]: [
      LAYERS,
      names.map((layer, position) => ({
        position,
        layer,
        units: layers[layer].length,
        height: 4,
        width: 4,
        images: 10,
      })),
    ],
    [`iou_${which}__unit_labels`]: [UNIT_LABELS_TABLE, labels],
  };
}

/** The random-weight control's unit labels, layer by layer as `dissection` takes them. */
function control(
  which: "val" | "gan",
  layers: Record<string, [string, string, number][]>,
): Record<string, [Schema, Rows]> {
  const labels = dissection(which, layers)[`iou_${which}__unit_labels`];
  return { [`iou_${which}_control__unit_labels`]: labels };
}

/** A control whose units match nothing (IoU 0.01) at the given layers, `n` units each. */
function blankControl(which: "val" | "gan", layers: string[], n = 8) {
  return control(which, Object.fromEntries(layers.map((l) => [l, units("object", n, 0.01)])));
}

/** n units, each matching its own concept of a category at the given IoU. */
const units = (category: string, n: number, iou = 0.1, prefix = category) =>
  range(n).map((i) => [category, `${prefix}${i}`, iou] as [string, string, number]);

Deno.test("C1: ten distinct concepts over three categories at the last layer", async () => {
  const layers = {
    conv1: units("color", 3),
    conv5: [...units("object", 6), ...units("part", 3), ...units("material", 1)],
  };
  const rich = { ...dissection("val", layers), ...blankControl("val", ["conv5"], 10) };
  assertEquals((await measureOn(C1, rich)).verdict.outcome, "holds");
  // A random-weight control that matches as many concepts: the count says nothing of training;
  // one that matches more: the claim does not hold.
  const asRandom = await measureOn(C1, { ...dissection("val", layers), ...control("val", layers) });
  assertEquals(asRandom.verdict.outcome, "inconclusive");
  const richer = control("val", { conv5: [...layers.conv5, ...units("part", 20, 0.1, "q")] });
  assertEquals(
    (await measureOn(C1, { ...dissection("val", layers), ...richer })).verdict.outcome,
    "fails",
  );
  assertMatch(asRandom.verdict.why!, /no more concepts than the random-weight control/);
  // Two categories only; and units below the 0.04 bar do not count.
  const narrow = {
    ...dissection("val", {
      conv5: [...units("object", 8), ...units("part", 3), ...units("material", 5, 0.039)],
    }),
    ...blankControl("val", ["conv5"]),
  };
  const r = await measureOn(C1, narrow);
  assertEquals(r.verdict.outcome, "fails");
  assertMatch(r.verdict.detail, /11 distinct concepts in 2 categories/);
});

Deno.test("C2: objects peak at the last layer and parts earlier; a one-concept margin is said", async () => {
  const shape = {
    a: units("part", 2),
    b: [...units("part", 6), ...units("object", 1)],
    c: [...units("object", 5), ...units("part", 1)],
  };
  const holds = await measureOn(C2, { ...dissection("val", shape), ...blankControl("val", ["c"]) });
  assertEquals(holds.verdict.outcome, "holds");
  assertEquals(holds.margin, undefined);
  const asRandom = await measureOn(C2, { ...dissection("val", shape), ...control("val", shape) });
  assertEquals(asRandom.verdict.outcome, "inconclusive");
  assertMatch(asRandom.verdict.why!, /no more object concepts than the random-weight control/);
  const fails = await measureOn(C2, {
    ...dissection("val", { a: units("object", 6), b: units("part", 6), c: units("object", 2) }),
    ...blankControl("val", ["c"]),
  });
  assertEquals(fails.verdict.outcome, "fails");
  const close = await measureOn(C2, {
    ...dissection("val", {
      a: [...units("part", 5), ...units("object", 3)],
      b: [...units("object", 4), ...units("part", 4)],
    }),
    ...blankControl("val", ["b"], 40),
  });
  assertEquals(close.verdict.outcome, "holds");
  assertMatch(
    close.margin!,
    /last layer's object concepts \(4\) against the most at an earlier layer \(3\)/,
  );
  assertMatch(
    close.margin!,
    /part concepts before the object peak \(5\) against the most from it on \(4\)/,
  );
  await assertRejects(
    () =>
      measureOn(C2, {
        ...dissection("val", { only: units("object", 3) }),
        ...blankControl("val", ["only"]),
      }),
    insufficient,
  );
});

Deno.test("C8: the generator layer with the most object and part units lies in the middle half", async () => {
  const layers = (most: number) =>
    Object.fromEntries(
      range(4).map((i) => [`layer${i + 1}`, [
        ...units(i % 2 ? "part" : "object", i === most ? 6 : 2),
        ...units("color", i === most ? 2 : 6),
      ]]),
    );
  const gan = (most: number) => ({
    ...dissection("gan", layers(most)),
    ...blankControl("gan", range(4).map((i) => `layer${i + 1}`)),
  });
  // Positions 2 and 3 of 4 are the middle half (1 < p <= 3).
  assertEquals((await measureOn(C8, gan(1))).verdict.outcome, "holds");
  assertEquals((await measureOn(C8, gan(2))).verdict.outcome, "holds");
  assertEquals((await measureOn(C8, gan(0))).verdict.outcome, "fails");
  assertEquals((await measureOn(C8, gan(3))).verdict.outcome, "fails");
  // A random generator with as many object and part units at that layer: nothing shown.
  const asRandom = await measureOn(C8, {
    ...dissection("gan", layers(1)),
    ...control("gan", layers(1)),
  });
  assertEquals(asRandom.verdict.outcome, "inconclusive");
  assertMatch(asRandom.verdict.why!, /no larger share than the random-weight control/);
});

// C3, C9: one unit as a detector ----------------------------------------------

/** Test and fit halves: `with`/`without` images per half; the unit fires above 0.5 on `hits` of each. */
function peaks(o: { with: number; without: number; hitsWith: number; hitsWithout: number }) {
  const rows: Rows = [];
  for (const half of ["fit", "test"]) {
    for (let i = 0; i < o.with; i++) {
      rows.push({ half, present: true, peak: i < o.hitsWith ? 1 : 0, fraction: 0.1 });
    }
    for (let i = 0; i < o.without; i++) {
      rows.push({ half, present: false, peak: i < o.hitsWithout ? 1 : 0, fraction: 0.01 });
    }
  }
  return rows.map((r, image) => ({ ...r, image, label: r.present ? "airplane" : "other" }));
}

function c3Tables(iou: number, threshold: number | null, p: Parameters<typeof peaks>[0]) {
  return {
    unit_classifier__unit: [unitClassifier.tables.unit, [
      { layer: "conv5_3", unit: 7, concept: "airplane", iou, threshold },
    ]],
    unit_classifier__peaks: [unitClassifier.tables.peaks, peaks(p)],
  } as Record<string, [Schema, Rows]>;
}

Deno.test("C3: a detector on held-out images, with its preconditions", async () => {
  const good = { with: 25, without: 25, hitsWith: 24, hitsWithout: 1 };
  assertEquals((await measureOn(C3, c3Tables(0.09, 0.5, good))).verdict.outcome, "holds");
  const chance = { with: 25, without: 25, hitsWith: 12, hitsWithout: 13 };
  assertEquals((await measureOn(C3, c3Tables(0.09, 0.5, chance))).verdict.outcome, "fails");
  // Few images with the concept, but an interval that decides: the count does not override it.
  const few = await measureOn(C3, c3Tables(0.09, 0.5, { ...good, with: 18, hitsWith: 18 }));
  assertEquals(few.verdict.outcome, "holds");
  assert(few.preconditions!.some((p) => !p.met && p.kind === "data"));
  // Few images and an interval across the bar: not testable, and what the rule said is kept.
  const fewUndecided = await measureOn(
    C3,
    c3Tables(0.09, 0.5, { with: 12, without: 25, hitsWith: 8, hitsWithout: 5 }),
  );
  assertEquals(fewUndecided.verdict.outcome, "untestable");
  assertEquals(fewUndecided.verdict.rule, "inconclusive");
  assertMatch(fewUndecided.verdict.why!, /test images with the concept: 12 \(needs at least 20\)/);
  // The numbers stay on the page: (18/18 + 24/25) / 2.
  assert(
    few.values.some((v) =>
      v.label === "balanced accuracy on the test half" && Math.abs(Number(v.value) - 0.98) < 1e-9
    ),
  );
  // A unit that is no detector of the concept (IoU under 0.04).
  const weak = await measureOn(C3, c3Tables(0.02, 0.5, good));
  assertEquals(weak.verdict.outcome, "untestable");
  assertMatch(weak.verdict.why!, /IoU with airplane/);
  // No threshold with enough images on both sides: the data cannot decide.
  await assertRejects(() => measureOn(C3, c3Tables(0.09, null, good)), insufficient);
});

function c9Tables(threshold: number | null, p: Parameters<typeof peaks>[0]) {
  return {
    gan_unit_classifier__unit: [ganUnitClassifier.tables.unit, [
      { layer: "layer4", unit: 3, concept: "window", iou: 0.05, threshold, min_fraction: 0.05 },
    ]],
    gan_unit_classifier__peaks: [ganUnitClassifier.tables.peaks, peaks(p)],
  } as Record<string, [Schema, Rows]>;
}

Deno.test("C9: a generator unit predicts its concept; no large concept is not testable, with its data shown", async () => {
  const good = { with: 25, without: 25, hitsWith: 20, hitsWithout: 2 };
  assertEquals((await measureOn(C9, c9Tables(0.5, good))).verdict.outcome, "holds");
  const inverse = { with: 25, without: 25, hitsWith: 2, hitsWithout: 20 };
  assertEquals((await measureOn(C9, c9Tables(0.5, inverse))).verdict.outcome, "fails");
  const across = { with: 25, without: 25, hitsWith: 14, hitsWithout: 11 };
  assertEquals((await measureOn(C9, c9Tables(0.5, across))).verdict.outcome, "inconclusive");
  const none = await measureOn(
    C9,
    c9Tables(null, { with: 0, without: 30, hitsWith: 0, hitsWithout: 3 }),
  );
  assertEquals(none.verdict.outcome, "untestable");
  assertMatch(none.verdict.why!, /with the concept: 0 \(needs at least 20\)/);
  assert(none.values.some((v) => /largest share/.test(v.label) && v.value === 0.01));
  assertEquals(none.figures.length, 1);
});

// C4, C5, C6: unit removal in the classifier ------------------------------------

/** Accuracy (share of a class's images predicted right) in one setting. */
interface ClassSpec {
  images: number;
  base: number;
  /** By mode and k: the class's accuracy with its own units removed or kept. */
  removed: Record<string, Record<number, number>>;
  /** Drop of each of its ranked units (rank 0 first), for the choice of C4's class. */
  drop?: number;
}

const WIDTH = 128; // k4 = 1 and k20 = 5 after scaling
const SIZES = [1, 5];
const MODES = ["remove-top", "remove-bottom", "keep-top"];

/** rank-units, ablate-class and classify-val tables for classes with the given accuracies. */
function ablation(classes: ClassSpec[]): Record<string, [Schema, Rows]> {
  const n = classes.length;
  const images: { image: number; label: number; j: number }[] = [];
  classes.forEach((c, label) => {
    for (let j = 0; j < c.images; j++) images.push({ image: images.length, label, j });
  });
  const settings: Rows = [{ setting: 0, label: -1, mode: "none", k: 0 }];
  classes.forEach((_, label) => {
    for (const mode of MODES) {
      for (const k of SIZES) settings.push({ setting: settings.length, label, mode, k });
    }
  });
  const predictions: Rows = [];
  for (const s of settings) {
    for (const im of images) {
      const c = classes[im.label];
      const acc = s.label === im.label
        ? c.removed[s.mode as string]?.[s.k as number] ?? c.base
        : c.base;
      const right = im.j < Math.round(acc * c.images);
      predictions.push({
        setting: s.setting,
        image: im.image,
        predicted: right ? im.label : (im.label + 1) % n,
      });
    }
  }
  const importance: Rows = classes.flatMap((c, label) =>
    range(WIDTH).map((rank) => ({
      layer: "conv5_3",
      label,
      class: `class${label}`,
      rank,
      unit: (rank + 7 * label) % WIDTH,
      drop: rank < 8 ? (c.drop ?? 0.01) / (rank + 1) : 0,
      soft_drop: 0.001 / (rank + 1),
    }))
  );
  // The training split's baseline (unit -1): each class as accurate as on val, no false positives.
  const total = images.length;
  const baseline: Rows = classes.map((c, label) => ({
    unit: -1,
    label,
    class: `class${label}`,
    tp: Math.round(c.base * c.images),
    fp: 0,
    positives: c.images,
    images: total,
  }));
  return {
    rank_units__importance: [IMPORTANCE_TABLE, importance],
    rank_units__counts: [REMOVAL_COUNTS_TABLE, baseline],
    ablate_class__settings: [SETTINGS_TABLE, settings],
    ablate_class__predictions: [SETTING_PREDICTIONS_TABLE, predictions],
    classify_val__predictions: [
      PREDICTIONS_TABLE,
      images.map((im) => ({ image: im.image, label: im.label })),
    ],
    classify_val__classes: [
      classify.tables.classes,
      classes.map((_, label) => ({ label, name: `class${label}` })),
    ],
  };
}

/** A small class (few images, so overall accuracy barely moves) and two large ones. */
function c4Classes(small: Partial<ClassSpec>, baseOthers = 0.9): ClassSpec[] {
  return [
    { images: 10, base: 0.8, removed: {}, drop: 0.5, ...small },
    { images: 500, base: baseOthers, removed: {} },
    { images: 500, base: baseOthers, removed: {} },
  ];
}

Deno.test("C4: removal and keep-only parts, for the class chosen below the ceiling, at scaled k", async () => {
  const both = await measureOn(
    C4,
    ablation(c4Classes({
      removed: { "remove-top": { 1: 0.3, 5: 0.1 }, "keep-top": { 5: 0.8 } },
    })),
  );
  assertEquals(both.verdict.outcome, "holds", both.verdict.why);
  assertMatch(both.verdict.detail, /class class0, k4 = 1 and k20 = 5 of 128 units/);
  assertEquals(both.parts!.map((p) => p.outcome), ["holds", "holds"]);
  const keepFails = await measureOn(
    C4,
    ablation(c4Classes({
      removed: { "remove-top": { 1: 0.3, 5: 0.1 }, "keep-top": { 5: 0.2 } },
    })),
  );
  assertEquals(keepFails.verdict.outcome, "partly");
  assertMatch(keepFails.verdict.why!, /^keep-only: does not hold \(/);
  const neither = await measureOn(
    C4,
    ablation(c4Classes({ removed: { "keep-top": { 5: 0.1 } } })),
  );
  assertEquals(neither.verdict.outcome, "fails");
  // Every class at 100%: no class below the ceiling, so not testable.
  const ceiling = await measureOn(
    C4,
    ablation(c4Classes({ base: 1, removed: { "remove-top": { 1: 0.3, 5: 0.1 } } }, 1)),
  );
  assertEquals(ceiling.verdict.outcome, "untestable");
  assertMatch(ceiling.verdict.why!, /classes below the ceiling .*: 0 \(needs at least 1\)/);
});

Deno.test("C4 chooses among the classes below the ceiling, even when a class above has more important units", async () => {
  const classes = c4Classes({ removed: { "remove-top": { 1: 0.3, 5: 0.1 } } });
  classes[1] = { ...classes[1], base: 1, drop: 5 };
  const r = await measureOn(C4, ablation(classes));
  assertMatch(r.verdict.detail, /class class0,/);
});

/** Ten equal classes of 20 images; removing top or bottom units sets the given accuracies. */
function tenClasses(
  base: number,
  top: Record<number, number>,
  bottom: Record<number, number>,
  keep = base,
) {
  return range(10).map(() => ({
    images: 20,
    base,
    removed: { "remove-top": top, "remove-bottom": bottom, "keep-top": { 1: keep, 5: keep } },
  }));
}

Deno.test("C5: descending removal hurts more than ascending, and ascending barely", async () => {
  const holds = await measureOn(
    C5,
    ablation(tenClasses(0.8, { 1: 0.6, 5: 0.3 }, { 1: 0.8, 5: 0.8 })),
  );
  assertEquals(holds.verdict.outcome, "holds");
  assertMatch(holds.verdict.detail, /at k = 5 of 128 units \(paper: 20 of 512\)/);
  const same = await measureOn(
    C5,
    ablation(tenClasses(0.8, { 1: 0.6, 5: 0.3 }, { 1: 0.6, 5: 0.3 })),
  );
  assertEquals(same.verdict.outcome, "fails");
});

Deno.test("C6: removal and keep-only over all classes, not testable when most classes are at the ceiling", async () => {
  const holds = await measureOn(C6, ablation(tenClasses(0.8, { 1: 0.6, 5: 0.3 }, {}, 0.8)));
  assertEquals(holds.verdict.outcome, "holds");
  const partly = await measureOn(C6, ablation(tenClasses(0.8, { 1: 0.6, 5: 0.3 }, {}, 0.3)));
  assertEquals(partly.verdict.outcome, "partly");
  assertMatch(partly.verdict.why!, /^keep-only: does not hold \(/);
  const ceiling = await measureOn(C6, ablation(tenClasses(1, { 1: 0.6, 5: 0.3 }, {}, 1)));
  assertEquals(ceiling.verdict.outcome, "untestable");
  assertEquals(ceiling.verdict.rule, "holds");
});

// C7: importance and interpretability -------------------------------------------

/** 20 classes' top-4 lists over 40 units, unit u in the lists of `count(u)` classes. */
function c7Tables(
  count: (u: number) => number,
  iou: (u: number) => number,
  controlIou: (u: number) => number = (u) => 0.05 + 0.001 * ((u * 7) % 11),
) {
  const slots = range(40).flatMap((u) => range(count(u)).map(() => u));
  const importance = slots.map((unit, i) => ({
    layer: "conv5_3",
    label: i % 20,
    class: `c${i % 20}`,
    rank: Math.floor(i / 20),
    unit,
    drop: 0.1,
    soft_drop: 0.1,
  }));
  const labels = (f: (u: number) => number) =>
    range(40).map((unit) => ({
      layer: "conv5_3",
      unit,
      concept: unit,
      name: `k${unit}`,
      category: "object",
      iou: f(unit),
    }));
  return {
    rank_units__importance: [IMPORTANCE_TABLE, importance],
    iou_val__unit_labels: [UNIT_LABELS_TABLE, labels(iou)],
    rank_units_control__importance: [IMPORTANCE_TABLE, importance],
    iou_val_control__unit_labels: [UNIT_LABELS_TABLE, labels(controlIou)],
  } as Record<string, [Schema, Rows]>;
}

Deno.test("C7: IoU rises with the classes a unit is top-4 for; too narrow a range is not testable", async () => {
  const count = (u: number) => u % 5; // 80 slots: 20 classes x 4
  const up = await measureOn(C7, c7Tables(count, (u) => 0.02 * count(u) + 0.0001 * u));
  assertEquals(up.verdict.outcome, "holds");
  // The control's units show the same trend: nothing learned about it.
  const rising = (u: number) => 0.02 * count(u) + 0.0001 * u;
  const asRandom = await measureOn(C7, c7Tables(count, rising, rising));
  assertEquals(asRandom.verdict.outcome, "inconclusive");
  assertMatch(asRandom.verdict.why!, /not above the random-weight control/);
  const down = await measureOn(C7, c7Tables(count, (u) => 0.1 - 0.02 * count(u)));
  assertEquals(down.verdict.outcome, "fails");
  const flat = await measureOn(C7, c7Tables(count, (u) => 0.05 + 0.001 * ((u * 7) % 11)));
  assertEquals(flat.verdict.outcome, "inconclusive");
  // Every unit in two classes' top 4 (80 slots over 40 units): one count, no trend to see.
  const narrow = await measureOn(C7, c7Tables(() => 2, (u) => 0.001 * u));
  assertEquals(narrow.verdict.outcome, "untestable");
  assertMatch(narrow.verdict.why!, /distinct numbers of classes a unit is top-4 for: 1/);
  // Three counts (0, 1, 2), under the bar of 4: a condition of the setting (how many classes
  // there are to be top-4 for), so it overrides even an interval that decides.
  const three = (u: number) => [0, 1, 1, 2, 2, 2, 2, 2][u % 8]; // 60 slots over 40 units
  const decided = await measureOn(C7, c7Tables(three, (u) => 0.02 * three(u) + 0.0001 * u));
  assertEquals([decided.verdict.outcome, decided.verdict.rule], ["untestable", "holds"]);
  // And when the control alone decides against the trained network.
  const belowControl = await measureOn(
    C7,
    c7Tables(three, (u) => 0.05 + 0.001 * ((u * 7) % 11), (u) => 0.02 * three(u) + 0.0001 * u),
  );
  assertEquals([belowControl.verdict.outcome, belowControl.verdict.rule], ["untestable", "fails"]);
});

// C10, C11, C13: editing the generator --------------------------------------------

/** Tree removal at a 64-unit layer4 (scaled k = 3): pixels per image at steps 0, 3 and 20. */
function c10Tables(o: { treeKept: number; buildingKept: number; unitIou: number }) {
  const pixels: Rows = [];
  for (let image = 0; image < 30; image++) {
    const tree = 100 + image;
    for (const [n, t, b] of [[0, 1, 1], [3, o.treeKept, o.buildingKept], [20, 0, 0]]) {
      pixels.push({ n, image, object: "tree", pixels: Math.round(tree * t) });
      pixels.push({ n, image, object: "building", pixels: Math.round(300 * b) });
    }
  }
  return {
    tree_removal__pixels: [OBJECT_PIXELS_TABLE, pixels],
    tree_removal__units: [
      REMOVED_UNITS_TABLE,
      range(20).map((rank) => ({ rank, unit: rank, iou: o.unitIou })),
    ],
    activations_gan__layers: [LAYERS, [
      { position: 3, layer: "layer4", units: 64, height: 8, width: 8, images: 30 },
    ]],
  } as Record<string, [Schema, Rows]>;
}
const TREE_PARAMS = { "tree-removal": { layer: "layer4" } };

Deno.test("C10: removal and preservation at the scaled step, with tree detectors as precondition", async () => {
  const holds = await measureOn(
    C10,
    c10Tables({ treeKept: 0.4, buildingKept: 1, unitIou: 0.06 }),
    TREE_PARAMS,
  );
  assertEquals(holds.verdict.outcome, "holds");
  // Step 3 is judged, not step 20 (where everything is gone).
  assertMatch(holds.verdict.detail, /top 3 of 64 tree units removed \(paper: 20 of 512\)/);
  const partly = await measureOn(
    C10,
    c10Tables({ treeKept: 0.4, buildingKept: 0.5, unitIou: 0.06 }),
    TREE_PARAMS,
  );
  assertEquals(partly.verdict.outcome, "partly");
  assertMatch(partly.verdict.why!, /^preservation: does not hold \(/);
  const neither = await measureOn(
    C10,
    c10Tables({ treeKept: 0.9, buildingKept: 0.5, unitIou: 0.06 }),
    TREE_PARAMS,
  );
  assertEquals(neither.verdict.outcome, "fails");
  const noDetectors = await measureOn(
    C10,
    c10Tables({ treeKept: 0.4, buildingKept: 1, unitIou: 0.02 }),
    TREE_PARAMS,
  );
  assertEquals(noDetectors.verdict.outcome, "untestable");
  assertEquals(noDetectors.verdict.rule, "holds");
  // The least-kept share is measured by SQL, not written into it.
  const kept = holds.values.find((v) => /least kept other object/.test(v.label))!;
  assertEquals(kept.value, 1);
  assert(!/SELECT\s+[\d.]+\s+AS value/.test(kept.sql), kept.sql);
});

function c11Tables(o: { building: number; sky: number; unitIou: number }) {
  const insertions: Rows = [];
  for (let image = 0; image < 20; image++) {
    insertions.push({
      image,
      row: 0,
      col: 0,
      context: "building",
      before: 0,
      after: o.building + (image % 3),
    });
    insertions.push({
      image,
      row: 0,
      col: 1,
      context: "sky",
      before: 0,
      after: o.sky + (image % 2),
    });
    insertions.push({ image, row: 1, col: 0, context: "tree", before: 0, after: o.sky });
  }
  return {
    door_insertion__insertions: [INSERTIONS_TABLE, insertions],
    door_insertion__units: [
      FORCED_UNITS_TABLE,
      range(3).map((rank) => ({ rank, unit: rank, iou: o.unitIou, value: 2 })),
    ],
  } as Record<string, [Schema, Rows]>;
}

Deno.test("C11: doors appear on buildings more than in sky and trees, when the units detect doors", async () => {
  assertEquals(
    (await measureOn(C11, c11Tables({ building: 10, sky: 0, unitIou: 0.05 }))).verdict.outcome,
    "holds",
  );
  assertEquals(
    (await measureOn(C11, c11Tables({ building: 0, sky: 5, unitIou: 0.05 }))).verdict.outcome,
    "fails",
  );
  const weak = await measureOn(C11, c11Tables({ building: 10, sky: 0, unitIou: 0.01 }));
  assertEquals(weak.verdict.outcome, "untestable");
  assertMatch(weak.verdict.why!, /forced units that detect doors/);
});

/** Attacks from class 0 to class 1; units 0-3 are class 0's top 4, 4-7 class 1's. */
function c12Tables(o: { attacks: number; source: number; target: number }) {
  const attacks: Rows = range(o.attacks).map((image) => ({
    image,
    source: 0,
    source_class: "a",
    target: 1,
    target_class: "b",
    success: true,
    l2: 0.1,
    c: 1,
    predicted_after: 1,
  }));
  const peaks: Rows = range(o.attacks).flatMap((image) =>
    range(12).map((unit) => {
      const change = unit < 4 ? o.source : unit < 8 ? o.target : 0.1;
      return { image, unit, before: 1, after: 1 + change + 0.01 * ((image * 7 + unit) % 5) };
    })
  );
  const importance: Rows = [0, 1].flatMap((label) =>
    range(12).map((rank) => ({
      layer: "conv5_3",
      label,
      class: label ? "b" : "a",
      rank,
      unit: (rank + 4 * label) % 12,
      drop: 0.1,
      soft_drop: 0.1,
    }))
  );
  return {
    cw_attack__attacks: [ATTACKS_TABLE, attacks],
    cw_attack__peaks: [PEAKS_TABLE, peaks],
    rank_units__importance: [IMPORTANCE_TABLE, importance],
  } as Record<string, [Schema, Rows]>;
}

Deno.test("C12: source and target parts; ten successful attacks needed", async () => {
  assertEquals(
    (await measureOn(C12, c12Tables({ attacks: 12, source: 2, target: 2 }))).verdict.outcome,
    "holds",
  );
  const partly = await measureOn(C12, c12Tables({ attacks: 12, source: 2, target: 0.1 }));
  assertEquals(partly.verdict.outcome, "partly");
  assertMatch(partly.verdict.why!, /^target: does not hold \(/);
  assertEquals(
    (await measureOn(C12, c12Tables({ attacks: 12, source: 0.1, target: 0.1 }))).verdict.outcome,
    "fails",
  );
  await assertRejects(
    () => measureOn(C12, c12Tables({ attacks: 9, source: 2, target: 2 })),
    insufficient,
  );
});

/** Four concepts of two units each (`shared`: all four use the same units); `painted` of them appear. */
function c13Tables(o: { painted: number; shared?: boolean; iou?: number; samples?: number }) {
  const concepts = ["sky", "tree", "door", "dome"];
  const palette = concepts.flatMap((concept, position) =>
    range(2).map((rank) => ({
      position,
      concept,
      category: "object",
      area: 1000 - position,
      rank,
      unit: o.shared ? rank : 2 * position + rank,
      iou: o.iou ?? 0.08,
      threshold: 1,
    }))
  );
  const paintings = range(o.samples ?? 12).flatMap((image) =>
    concepts.map((concept, k) => ({
      image,
      concept,
      region_pixels: 100,
      outside_pixels: 300,
      inside_before: 5,
      inside_after: k < o.painted ? 40 + (image % 4) : 5 + (image % 3) - 1,
      outside_before: 10,
      outside_after: 10,
    }))
  );
  return {
    paint_check__palette: [PALETTE_TABLE, palette],
    paint_check__paintings: [PAINTINGS_TABLE, paintings],
  } as Record<string, [Schema, Rows]>;
}
const PAINT_PARAMS = {
  "paint-check": { layer: "layer4", boost: 1, region: [0.25, 0.25, 0.75, 0.75] },
};

Deno.test("C13: more than half of the palette painted; shared units or non-detectors are not testable", async () => {
  const all = await measureOn(C13, c13Tables({ painted: 4 }), PAINT_PARAMS);
  assertEquals(all.verdict.outcome, "holds");
  assertEquals(all.margin, undefined);
  const three = await measureOn(C13, c13Tables({ painted: 3 }), PAINT_PARAMS);
  assertEquals(three.verdict.outcome, "holds");
  assertMatch(three.margin!, /rests on one concept: with one concept fewer painted \(3 of 4/);
  const half = await measureOn(C13, c13Tables({ painted: 2 }), PAINT_PARAMS);
  assertEquals(half.verdict.outcome, "fails");
  assertMatch(half.margin!, /one concept more painted/);
  const shared = await measureOn(C13, c13Tables({ painted: 4, shared: true }), PAINT_PARAMS);
  assertEquals(shared.verdict.outcome, "untestable");
  assertMatch(shared.verdict.why!, /own units .*: 0 \(needs at least 3/);
  const weak = await measureOn(C13, c13Tables({ painted: 4, iou: 0.01 }), PAINT_PARAMS);
  assertEquals(weak.verdict.outcome, "untestable");
  await assertRejects(
    () => measureOn(C13, c13Tables({ painted: 4, samples: 9 }), PAINT_PARAMS),
    insufficient,
  );
});
