/**
 * A campaign of targeted attacks on one classifier: images attacked a batch
 * at a time, each with its outcome, its logits and every unit's peak at one
 * layer before and after, and the pixels and maps a figure draws.
 */
import { batches } from "../data/open.ts";
import { concatBytes } from "../engine/bytes.ts";
import { PLAIN, toTensorData } from "../onnx/preprocess.ts";
import { argmax } from "../stats/argmax.ts";
import { type AttackOptions, carliniWagner } from "./carlini_wagner.ts";
import type { AttackExample } from "./figure.ts";
import { type AttackedModel, logitRows, peakChanges } from "./target.ts";
import type { TableSink } from "../engine/stage.ts";
import type { RowOf } from "../engine/table_writer.ts";

/** One row per attack: the classes, whether it succeeded, its L2 distance and c. */
export const ATTACKS_TABLE = {
  image: "INTEGER",
  source: "INTEGER",
  source_class: "VARCHAR",
  target: "INTEGER",
  target_class: "VARCHAR",
  success: "BOOLEAN",
  l2: "DOUBLE",
  c: "DOUBLE",
  predicted_after: "INTEGER",
} as const;

/** Every class's logit of every attacked image, "original" and "adversarial". */
export const LOGITS_TABLE = {
  image: "INTEGER",
  version: "VARCHAR",
  label: "INTEGER",
  logit: "DOUBLE",
} as const;

/** Every unit's peak activation on every attacked image, before and after. */
export const PEAKS_TABLE = {
  image: "INTEGER",
  unit: "INTEGER",
  before: "DOUBLE",
  after: "DOUBLE",
} as const;

/** One attacked image: its classes, the attack's outcome, and what it changed. */
export interface AttackedImage {
  image: number;
  source: number;
  target: number;
  success: boolean;
  /** L2 distance and smallest successful c (NaN where the attack failed). */
  l2: number;
  c: number;
  predictedAfter: number;
  logits: ReturnType<typeof logitRows>;
  peaks: ReturnType<typeof peakChanges>;
  /** The image before and after, and the layer's maps, for a figure (units to be chosen). */
  example: Omit<AttackExample, "units">;
}

/**
 * Attacks images[i] (of class source[i]) toward target[i], `batch` images at
 * a time, reading RGB bytes with `read`; yields each batch's attacked images
 * in order, with the model calls the batch took.
 */
export async function* attackImages(
  model: AttackedModel,
  chosen: { images: readonly number[]; source: readonly number[]; target: readonly number[] },
  read: (image: number) => Uint8Array,
  options: AttackOptions & { batch: number },
): AsyncGenerator<{ attacked: AttackedImage[]; evaluations: number }> {
  const { height, width, classes: K } = model.spec;
  const D = 3 * height * width;
  for (const [start, end] of batches(chosen.images.length, options.batch)) {
    const n = end - start;
    const ids = chosen.images.slice(start, end);
    // Planar pixels in [0, 1]: the space the attack works in.
    const x0 = toTensorData(concatBytes(ids.map(read)), n, height, width, PLAIN);
    const targets = chosen.target.slice(start, end);
    const result = await carliniWagner(model.marginGradient, x0, n, K, targets, options);
    const before = await model.run(x0, n), after = await model.run(result.adversarial, n);
    const [, units, h, w] = before.layer.dims as number[];
    const mapsBefore = before.layer.data as Float32Array,
      mapsAfter = after.layer.data as Float32Array;
    const M = units * h * w;
    const attacked = ids.map((image, i): AttackedImage => ({
      image,
      source: chosen.source[start + i],
      target: targets[i],
      success: result.success[i],
      l2: result.l2[i],
      c: result.c[i],
      predictedAfter: argmax(after.logits, i * K, K),
      logits: logitRows(image, before.logits, after.logits, i, K),
      peaks: peakChanges(mapsBefore, mapsAfter, i, before.layer.dims),
      example: {
        original: x0.slice(i * D, (i + 1) * D),
        adversarial: result.adversarial.slice(i * D, (i + 1) * D),
        before: mapsBefore.slice(i * M, (i + 1) * M),
        after: mapsAfter.slice(i * M, (i + 1) * M),
        h,
        w,
      },
    }));
    yield { attacked, evaluations: result.evaluations };
  }
}

/** Appends an attacked image's rows to the three tables; class names from the model's labels. */
export function writeAttacked(
  sinks: {
    attacks: TableSink<RowOf<typeof ATTACKS_TABLE>>;
    logits: TableSink<RowOf<typeof LOGITS_TABLE>>;
    peaks: TableSink<RowOf<typeof PEAKS_TABLE>>;
  },
  a: AttackedImage,
  classes: readonly string[],
): void {
  sinks.attacks.append({
    image: a.image,
    source: a.source,
    source_class: classes[a.source],
    target: a.target,
    target_class: classes[a.target],
    success: a.success,
    l2: a.l2,
    c: a.c,
    predicted_after: a.predictedAfter,
  });
  for (const r of a.logits) sinks.logits.append(r);
  for (const r of a.peaks) sinks.peaks.append({ image: a.image, ...r });
}
