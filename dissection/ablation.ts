/**
 * Removing units without retraining: the model is split at the layer; the
 * head runs once per image batch, and the tail runs on copies of the layer's
 * activations with chosen units forced to zero, many settings in one tail
 * run. The copies are made inside the tail graph (onnx/masked_tail.ts) from
 * one copy of the layer and a keep-mask per setting. Any other tensors
 * crossing the cut (skip connections) are repeated as they are.
 */
import { ExactSums } from "../stats/exact_sum.ts";
import * as ort from "onnxruntime-node";
import { createSession } from "../onnx/model.ts";
import { splitAt } from "../onnx/surgery.ts";
import { type MaskedTail, maskedTail, maskPoint } from "../onnx/masked_tail.ts";

/** A classifier cut at a layer: the head runs once per batch, the masked tail runs every removal setting on it. */
export class Ablator {
  private constructor(
    readonly head: ort.InferenceSession,
    readonly tail: ort.InferenceSession,
    readonly boundary: string[],
    readonly masked: MaskedTail,
  ) {}

  static async open(
    path: string,
    bytes: Uint8Array,
    layer: string,
    output: string,
    threads: number,
  ): Promise<Ablator> {
    // Zeroing a channel commutes with the ReLUs and pools right after the
    // layer, so the cut goes after them: same results, a smaller repeated tail.
    const split = splitAt(bytes, maskPoint(bytes, layer), path);
    const masked = maskedTail(split.tail, split.boundary, output);
    return new Ablator(
      await createSession(`${path} (head to ${layer})`, split.head, threads),
      await createSession(`${path} (tail from ${layer})`, masked.bytes, threads),
      split.boundary,
      masked,
    );
  }

  /** The boundary tensors of a batch of inputs. */
  async forwardHead(feeds: Record<string, ort.Tensor>): Promise<ort.Tensor[]> {
    const out = await this.head.run(feeds, this.boundary);
    return this.boundary.map((b) => out[b]);
  }

  /**
   * The predicted class of every image under every setting: settings[s] lists
   * the units to zero. Returns predictions[s][i].
   */
  async predict(boundary: ort.Tensor[], settings: Uint8Array[]): Promise<Int32Array[]> {
    return (await this.run(boundary, settings, false)).predicted;
  }

  /**
   * As predict, with each image's class probabilities beside its prediction:
   * probabilities[s][i * K + k].
   */
  async predictWithProbabilities(
    boundary: ort.Tensor[],
    settings: Uint8Array[],
  ): Promise<{ predicted: Int32Array[]; probabilities: Float32Array[] }> {
    const { predicted, probabilities } = await this.run(boundary, settings, true);
    return { predicted, probabilities: probabilities! };
  }

  private async run(boundary: ort.Tensor[], settings: Uint8Array[], withProbabilities: boolean) {
    const [n, units] = boundary[0].dims as number[];
    const S = settings.length;
    const keep = new Float32Array(S * units).fill(1);
    settings.forEach((zero, s) => zero.forEach((z, u) => z && (keep[s * units + u] = 0)));
    const feeds: Record<string, ort.Tensor> = {
      [this.masked.keep]: new ort.Tensor("float32", keep, [S, units]),
    };
    boundary.forEach((t, b) => (feeds[this.masked.inputs[b]] = t));
    const { predicted: p, probabilities: q } = this.masked;
    const out = await this.tail.run(feeds, withProbabilities ? [p, q] : [p]);
    const predicted = out[p].data as BigInt64Array;
    const perSetting = <T>(f: (s: number) => T) => Array.from({ length: S }, (_, s) => f(s));
    return {
      predicted: perSetting((s) => Int32Array.from(predicted.subarray(s * n, (s + 1) * n), Number)),
      probabilities: withProbabilities
        ? perSetting((s) => {
          const all = out[q].data as Float32Array, per = all.length / S;
          return all.subarray(s * per, (s + 1) * per);
        })
        : undefined,
    };
  }

  async release(): Promise<void> {
    await this.head.release();
    await this.tail.release();
  }
}

/**
 * Balanced two-way accuracy of class c (that class against all others), as
 * the paper defines single-class accuracy: the mean of the true positive rate
 * and the true negative rate.
 */
export function balancedAccuracy(tp: number, fp: number, positives: number, total: number): number {
  const negatives = total - positives;
  return 0.5 * (tp / positives + (negatives - fp) / negatives);
}

/**
 * Soft balanced accuracy of class c: the mean probability the model gives c on
 * images of c, averaged with the mean probability it withholds from c on the
 * other images. Unlike balanced accuracy it moves with every image, not only
 * when a prediction flips.
 */
export function softBalancedAccuracy(
  probabilityOnPositives: number,
  probabilityOnAll: number,
  positives: number,
  total: number,
): number {
  const negatives = total - positives;
  return 0.5 *
    (probabilityOnPositives / positives +
      1 - (probabilityOnAll - probabilityOnPositives) / negatives);
}

/** What removing one unit costs a class. */
export interface UnitDrop {
  unit: number;
  /** Drop in the class's balanced accuracy (the paper's measure). */
  drop: number;
  /** Drop in its soft balanced accuracy. */
  softDrop: number;
}

/**
 * Units from most to least important to a class: by the drop in balanced
 * accuracy, as the paper ranks them. A model that gets nearly every image
 * right leaves most units tied there (removing one flips no prediction), so
 * ties go by the drop in soft balanced accuracy, and only then by unit index.
 */
export function rankByImportance(drops: UnitDrop[]): UnitDrop[] {
  return drops.toSorted((a, b) => b.drop - a.drop || b.softDrop - a.softDrop || a.unit - b.unit);
}

/**
 * The tallies behind single-unit removal, per setting s (0: the unablated
 * model; u + 1: unit u removed) and class c: true and false positives of the
 * top-1 prediction, the probability given to c summed over c's images and
 * over all images, and how many images each class has. Probabilities are
 * summed exactly (stats/exact_sum.ts), so tallies of shards add up to the
 * tally of the whole, bit for bit.
 */
export class RemovalTally {
  readonly tp: Float64Array[];
  readonly fp: Float64Array[];
  readonly #pPositives: ExactSums;
  readonly #pAll: ExactSums;
  readonly positives: Float64Array;
  images = 0;

  constructor(readonly settings: number, readonly classes: number) {
    const rows = () => Array.from({ length: settings }, () => new Float64Array(classes));
    this.tp = rows();
    this.fp = rows();
    this.#pPositives = new ExactSums(settings * classes);
    this.#pAll = new ExactSums(settings * classes);
    this.positives = new Float64Array(classes);
  }

  /** Counts a batch's labels once (n images). */
  addImages(labels: ArrayLike<number>, n: number): void {
    for (let i = 0; i < n; i++) this.positives[labels[i]]++;
    this.images += n;
  }

  /** One setting's predictions and class probabilities (n x classes) on a batch. */
  add(
    s: number,
    labels: ArrayLike<number>,
    predicted: ArrayLike<number>,
    prob: Float32Array,
  ): void {
    const K = this.classes, n = predicted.length, row = s * K;
    for (let i = 0; i < n; i++) {
      const label = labels[i], pred = predicted[i];
      if (pred === label) this.tp[s][pred]++;
      else this.fp[s][pred]++;
      this.#pPositives.add(row + label, prob[i * K + label]);
      for (let c = 0; c < K; c++) this.#pAll.add(row + c, prob[i * K + c]);
    }
  }

  /** The probability setting s gave class c on c's images, summed. */
  pPositives(s: number, c: number): number {
    return this.#pPositives.total(s * this.classes + c);
  }

  /** The probability setting s gave class c on all images, summed. */
  pAll(s: number, c: number): number {
    return this.#pAll.total(s * this.classes + c);
  }

  /** The tally as plain JSON (exact sums as hexadecimal integers): what a shard hands its merge. */
  save(): TallyPart {
    const n = this.settings * this.classes;
    const hex = (sums: ExactSums) =>
      Array.from({ length: n }, (_, i) => sums.exact(i).toString(16));
    return {
      settings: this.settings,
      classes: this.classes,
      images: this.images,
      positives: Array.from(this.positives),
      tp: this.tp.map((r) => Array.from(r)),
      fp: this.fp.map((r) => Array.from(r)),
      pPositives: hex(this.#pPositives),
      pAll: hex(this.#pAll),
    };
  }

  /** Adds a tally of other images (a shard's `save()`), exactly. */
  addPart(part: TallyPart): void {
    if (part.settings !== this.settings || part.classes !== this.classes) {
      throw new Error(
        `a tally of ${part.settings} settings x ${part.classes} classes, ` +
          `not ${this.settings} x ${this.classes}`,
      );
    }
    this.images += part.images;
    part.positives.forEach((v, c) => (this.positives[c] += v));
    for (let s = 0; s < this.settings; s++) {
      for (let c = 0; c < this.classes; c++) {
        this.tp[s][c] += part.tp[s][c];
        this.fp[s][c] += part.fp[s][c];
      }
    }
    const big = (h: string) => h.startsWith("-") ? -BigInt(`0x${h.slice(1)}`) : BigInt(`0x${h}`);
    part.pPositives.forEach((h, i) => this.#pPositives.addExact(i, big(h)));
    part.pAll.forEach((h, i) => this.#pAll.addExact(i, big(h)));
  }

  /**
   * For class c, what removing each unit u (setting u + 1) costs: the drop
   * in balanced accuracy and in soft balanced accuracy from the unablated
   * model; empty for a class without images.
   */
  drops(c: number): UnitDrop[] {
    if (!this.positives[c]) return [];
    const n = this.images, pos = this.positives[c];
    const hard = (s: number) => balancedAccuracy(this.tp[s][c], this.fp[s][c], pos, n);
    const soft = (s: number) =>
      softBalancedAccuracy(this.pPositives(s, c), this.pAll(s, c), pos, n);
    return Array.from({ length: this.settings - 1 }, (_, u) => ({
      unit: u,
      drop: hard(0) - hard(u + 1),
      softDrop: soft(0) - soft(u + 1),
    }));
  }
}

/** A RemovalTally as JSON (RemovalTally.save). */
export interface TallyPart {
  settings: number;
  classes: number;
  images: number;
  positives: number[];
  tp: number[][];
  fp: number[][];
  /** Exact sums in units of 2^-149, as hexadecimal integers. */
  pPositives: string[];
  pAll: string[];
}

/** How a setting removes a class's units: its top k, its bottom k, or all but its top k. */
export const REMOVAL_MODES = ["remove-top", "remove-bottom", "keep-top"] as const;

/** One ablation setting: the class it is for (-1: none), how, how many, and the units it zeroes. */
export interface RemovalSetting {
  label: number;
  mode: string;
  k: number;
  zero: Uint8Array;
}

/**
 * Every setting of the class ablations: setting 0 is the unablated model, then
 * for each class (units ranked most important first), each mode and each k of
 * `sizes` (those below the layer's width, and width - 1), in that order.
 */
export function removalSettings(
  ranking: Map<number, number[]>,
  sizes: readonly number[],
): RemovalSetting[] {
  const units = ranking.values().next().value?.length ?? 0;
  const ks = [...new Set([...sizes.filter((k) => k < units), units - 1])].sort((a, b) => a - b);
  const settings: RemovalSetting[] = [{
    label: -1,
    mode: "none",
    k: 0,
    zero: new Uint8Array(units),
  }];
  for (const [label, ranked] of ranking) {
    for (const mode of REMOVAL_MODES) {
      for (const k of ks) {
        const zero = new Uint8Array(units);
        const chosen = mode === "remove-top"
          ? ranked.slice(0, k)
          : mode === "remove-bottom"
          ? ranked.slice(units - k)
          : ranked.slice(k); // keep-top: remove everything but the top k
        for (const u of chosen) zero[u] = 1;
        settings.push({ label, mode, k, zero });
      }
    }
  }
  return settings;
}

/** Zero-masks of settings [from, to) of single-unit removal: setting 0 removes nothing, u + 1 unit u. */
export function singleRemovals(units: number, from: number, to: number): Uint8Array[] {
  return Array.from({ length: to - from }, (_, j) => {
    const zero = new Uint8Array(units);
    if (from + j > 0) zero[from + j - 1] = 1;
    return zero;
  });
}

/** Per setting of single-unit removal (unit -1: none removed) and class, the tallies behind it. */
export const REMOVAL_COUNTS_TABLE = {
  unit: "INTEGER",
  label: "INTEGER",
  class: "VARCHAR",
  tp: "INTEGER",
  fp: "INTEGER",
  /** Summed probability of the class over its images, and over all images. */
  p_positives: "DOUBLE",
  p_all: "DOUBLE",
  positives: "INTEGER",
  images: "INTEGER",
} as const;

/** Per class, every unit of the layer ranked by what removing it alone costs the class. */
export const IMPORTANCE_TABLE = {
  layer: "VARCHAR",
  label: "INTEGER",
  class: "VARCHAR",
  rank: "INTEGER",
  unit: "INTEGER",
  drop: "DOUBLE",
  soft_drop: "DOUBLE",
} as const;

/** Labeled images read a batch at a time, labels as the model's class indices. */
export interface LabeledBatches {
  count: number;
  read(start: number, end: number): { images: Uint8Array; labels: ArrayLike<number> };
}

/**
 * Removes every unit of the ablator's layer alone, on every image, and
 * tallies the outcome per setting (0: the unablated model; u + 1: unit u
 * removed). `feed` turns a batch's RGB bytes into the model's inputs; the
 * head runs once per batch, the tail `chunk` settings at a time.
 */
export async function tallySingleRemovals(
  ablator: Pick<Ablator, "forwardHead" | "predictWithProbabilities">,
  data: LabeledBatches,
  feed: (rgb: Uint8Array, n: number) => Record<string, ort.Tensor>,
  opts: {
    classes: number;
    batch: number;
    chunk: number;
    /** Checks each batch of probabilities (n x classes) before it is counted. */
    check?: (probabilities: Float32Array, n: number) => void;
    tick?: (images: number) => void;
    /** The model's class of each data label (labels matched by name); the identity if absent. */
    toModel?: readonly number[];
    /** The first image (a shard's; 0 by default): images [from, data.count) are tallied. */
    from?: number;
  },
): Promise<RemovalTally> {
  let tally: RemovalTally | null = null;
  for (let start = opts.from ?? 0; start < data.count; start += opts.batch) {
    const end = Math.min(data.count, start + opts.batch), n = end - start;
    const batch = data.read(start, end);
    const labels = opts.toModel
      ? Int32Array.from(batch.labels, (l) => opts.toModel![l])
      : batch.labels;
    const boundary = await ablator.forwardHead(feed(batch.images, n));
    const units = boundary[0].dims[1] as number;
    tally ??= new RemovalTally(units + 1, opts.classes);
    tally.addImages(labels, n);
    for (let s0 = 0; s0 <= units; s0 += opts.chunk) {
      const settings = singleRemovals(units, s0, Math.min(units + 1, s0 + opts.chunk));
      const out = await ablator.predictWithProbabilities(boundary, settings);
      out.predicted.forEach((pred, j) => {
        opts.check?.(out.probabilities[j], n);
        tally!.add(s0 + j, labels, pred, out.probabilities[j]);
      });
    }
    opts.tick?.(n);
  }
  if (!tally) throw new Error("tallySingleRemovals: no images");
  return tally;
}

/** A tally as rows of the removal counts table: per setting (unit -1 first) and class. */
export function removalCountRows(tally: RemovalTally, classes: readonly string[]) {
  const rows = [];
  for (let s = 0; s < tally.settings; s++) {
    for (let c = 0; c < tally.classes; c++) {
      rows.push({
        unit: s - 1,
        label: c,
        class: classes[c],
        tp: tally.tp[s][c],
        fp: tally.fp[s][c],
        p_positives: tally.pPositives(s, c),
        p_all: tally.pAll(s, c),
        positives: tally.positives[c],
        images: tally.images,
      });
    }
  }
  return rows;
}

/** A tally as rows of the importance table: per class, units most important first. */
export function importanceRows(tally: RemovalTally, layer: string, classes: readonly string[]) {
  // A class without training images cannot be ranked: it has no rows.
  return classes.flatMap((name, c) =>
    tally.positives[c] === 0 ? [] : rankByImportance(tally.drops(c)).map((d, rank) => ({
      layer,
      label: c,
      class: name,
      rank,
      unit: d.unit,
      drop: d.drop,
      soft_drop: d.softDrop,
    }))
  );
}

/** The removal settings of ablate-class: setting 0 removes nothing; then per class, mode and k. */
export const SETTINGS_TABLE = {
  setting: "INTEGER",
  label: "INTEGER",
  mode: "VARCHAR",
  k: "INTEGER",
} as const;

/** Every image's prediction under every setting. */
export const SETTING_PREDICTIONS_TABLE = {
  setting: "INTEGER",
  image: "INTEGER",
  predicted: "USMALLINT",
} as const;

/**
 * Every image's prediction under every setting (a mask of the units it
 * removes), batch by batch: the head runs once per batch, the tail `chunk`
 * settings at a time. Yields each batch's first image and, per setting, the
 * batch's predictions. Images [from, count) (a shard's; all by default).
 */
export async function* predictUnderSettings(
  ablator: Pick<Ablator, "forwardHead" | "predict">,
  data: { count: number; readImages(start: number, end: number): Uint8Array },
  feed: (rgb: Uint8Array, n: number) => Record<string, ort.Tensor>,
  settings: readonly Uint8Array[],
  opts: { batch: number; chunk: number; from?: number },
): AsyncGenerator<{ start: number; n: number; predicted: Int32Array[] }> {
  for (let start = opts.from ?? 0; start < data.count; start += opts.batch) {
    const end = Math.min(data.count, start + opts.batch), n = end - start;
    const boundary = await ablator.forwardHead(feed(data.readImages(start, end), n));
    const predicted: Int32Array[] = [];
    for (let s0 = 0; s0 < settings.length; s0 += opts.chunk) {
      predicted.push(...await ablator.predict(boundary, settings.slice(s0, s0 + opts.chunk)));
    }
    yield { start, n, predicted };
  }
}
