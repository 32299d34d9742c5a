/**
 * The report's setting box on hand-made tables: each figure computed by its
 * SQL from the views it names, and left out when the run lacks them.
 */
import { assertEquals } from "../tests/assert.ts";
import { ReportQuery } from "./measure.ts";
import { settingOfRun } from "./setting.ts";
import { fakeRef, tableSql } from "./claims/testing.ts";
import { PREDICTIONS_TABLE } from "../onnx/classifier.ts";
import classify from "../stages/classify.ts";

/** The setting box of a run whose only tables are these predictions, of a four-class model. */
async function settingOf(pairs: [number, number][]) {
  const predictions = pairs.map(([label, predicted], image) => ({
    image,
    label,
    predicted,
    correct: label === predicted,
    top5: true,
  }));
  const views = {
    classify_val__predictions: tableSql(PREDICTIONS_TABLE, predictions),
    classify_val__classes: tableSql(
      classify.tables.classes,
      // Class "d" has no val images (a folder of some of the model's classes).
      ["a", "b", "c", "d"].map((name, label) => ({ label, name })),
    ),
  };
  const q = await ReportQuery.fromSql(views, { "classify-val": fakeRef("classify-val") });
  try {
    return Object.fromEntries((await settingOfRun(q, {})).map((m) => [m.label, m.value]));
  } finally {
    q.close();
  }
}

Deno.test("the setting box counts the classes at 95% balanced accuracy or more", async () => {
  // Class 0: 20 of 20 right, never predicted for another (balanced accuracy 1).
  // Class 1: 18 of 20 right (recall 0.9), its 2 misses predicted as class 2.
  // Class 2: 20 of 20 right, and predicted for 2 of the 40 others (specificity 0.95).
  const pairs: [number, number][] = [
    ...Array.from({ length: 20 }, (): [number, number] => [0, 0]),
    ...Array.from({ length: 18 }, (): [number, number] => [1, 1]),
    [1, 2],
    [1, 2],
    ...Array.from({ length: 20 }, (): [number, number] => [2, 2]),
  ];
  // Balanced accuracies: class 0 1.0, class 1 (0.9 + 1) / 2 = 0.95, class 2 (1 + 0.95) / 2 = 0.975.
  const box = await settingOf(pairs);
  assertEquals(box["scene classes at 95% balanced accuracy or more on val"], "3 of 3");
  assertEquals(box["scene classes"], 4);
  // One more miss of class 1 takes it under: recall 17/20, (0.85 + 1) / 2 = 0.925.
  pairs[20] = [1, 2];
  const after = await settingOf(pairs);
  assertEquals(after["scene classes at 95% balanced accuracy or more on val"], "2 of 3");
  assertEquals(after["top-1 accuracy on val"], "95.0%");
});
