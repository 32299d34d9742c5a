/**
 * A classifier opened for one data set: its graph, image input, preprocessing
 * and class space, checked against each other and against the data before
 * anything runs. The model's classes are its metadata `labels`, or, without
 * them, the data set's; either way the output must give one value per class,
 * and every label of the data must be one of the model's classes, so no stage
 * can score logits against labels of another class space.
 */
import * as ort from "onnxruntime-node";
import { DissectError } from "../engine/errors.ts";
import {
  inspectBytes,
  type ModelInfo,
  readModelBytes,
  requireInput,
  type TensorInfo,
} from "./model.ts";
import { labelsByName, type Preprocess, preprocessOf, toTensorData } from "./preprocess.ts";

/** What a classifier stage needs of its model, checked against its data. */
export interface OpenedClassifier {
  bytes: Uint8Array;
  info: ModelInfo;
  input: TensorInfo;
  /** The name of the logits output. */
  output: string;
  pre: Preprocess;
  /** The model's classes, in the order of its logits. */
  classes: string[];
  /** For each label of the data set, the model's class of that name. */
  toModel: number[];
}

/** The data set a classifier is opened for: its image size and label names. */
export interface ClassifiedData {
  height: number;
  width: number;
  labels: readonly string[];
}

/** Reads the model at `file` (named `path` in errors) and checks it against `data`. */
export async function openClassifier(
  path: string,
  file: string,
  data: ClassifiedData,
): Promise<OpenedClassifier> {
  return classifierFor(path, await readModelBytes(file), data);
}

/** As openClassifier, from the model's bytes. */
export function classifierFor(
  path: string,
  bytes: Uint8Array,
  data: ClassifiedData,
): OpenedClassifier {
  const info = inspectBytes(path, bytes);
  const input = requireInput(info, { dims: [null, 3, data.height, data.width] });
  const out = info.outputs[0];
  const { modelLabels: classes, toModel } = labelsByName(info, [...data.labels]);
  const width = out.dims.at(-1);
  if (out.dims.length !== 2 || (typeof width === "number" && width !== classes.length)) {
    const named = info.metadata.labels ? "its metadata names" : "the data set has";
    throw new DissectError(
      "MODEL",
      `${path}: output "${out.name}" has shape ${out.dims.join("x")}, but ${named} ` +
        `${classes.length} classes`,
      "a classifier gives one logit per class (batch x classes); name the model's classes " +
        'in its metadata "labels"',
    );
  }
  return { bytes, info, input, output: out.name, pre: preprocessOf(info), classes, toModel };
}

/** Refuses a batch of logits that is not one value per class per image. */
export function checkLogits(path: string, logits: ArrayLike<number>, n: number, classes: number) {
  if (logits.length !== n * classes) {
    throw new DissectError(
      "MODEL",
      `${path}: ${logits.length / n} values per image, expected one per class (${classes})`,
    );
  }
}

/** A batch of n RGB images (height x width, bytes) as the classifier's input, preprocessed as it wants. */
export function imageFeed(
  classifier: Pick<OpenedClassifier, "input" | "pre">,
  rgb: Uint8Array,
  n: number,
  height: number,
  width: number,
): Record<string, ort.Tensor> {
  const x = toTensorData(rgb, n, height, width, classifier.pre);
  return { [classifier.input.name]: new ort.Tensor("float32", x, [n, 3, height, width]) };
}

/** One row per image: true label, top-1 prediction, whether it is right, label in the top 5, confidence. */
export const PREDICTIONS_TABLE = {
  image: "INTEGER",
  label: "INTEGER",
  predicted: "INTEGER",
  correct: "BOOLEAN",
  top5: "BOOLEAN",
  confidence: "DOUBLE",
} as const;

/**
 * A batch's predictions from its logits (n x classes): for image i (data
 * set image start + i, of the model's class labels[i]) the top-1 class, the
 * label's presence among the top 5, and the softmax probability of the top-1.
 */
export function predictionRows(
  logits: Float32Array,
  classes: number,
  labels: ArrayLike<number>,
  start: number,
): {
  image: number;
  label: number;
  predicted: number;
  correct: boolean;
  top5: boolean;
  confidence: number;
}[] {
  return Array.from({ length: labels.length }, (_, i) => {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]);
    const max = row[order[0]];
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    const label = labels[i];
    return {
      image: start + i,
      label,
      predicted: order[0],
      correct: order[0] === label,
      top5: order.slice(0, 5).includes(label),
      confidence: 1 / z,
    };
  });
}
