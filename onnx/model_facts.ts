/**
 * Facts about a model that a user states in the run config instead of the
 * model's ONNX metadata: its class names (a labels file) and its input
 * preprocessing. A torch export carries neither; the config's facts are
 * written into the model's metadata when it is read, so every reader of a
 * model (classifiers, feature extractors, layer readers) sees one source.
 */
import { z } from "zod";
import { DissectError } from "../engine/errors.ts";
import { readClassNames } from "../data/image_folder.ts";
import { inspectBytes, type ModelInfo, readModelBytes, requireTensors } from "./model.ts";
import { decodeModel, encodeModel, type ModelProto } from "./proto.ts";
import { labelsByName, type Preprocess, PreprocessParam } from "./preprocess.ts";

/** What a config may say about a model; anything left out comes from the model's metadata. */
export interface ModelFacts {
  /** Class names, in the order of the model's outputs. */
  labels?: readonly string[];
  preprocess?: Preprocess;
}

/** The model's bytes with the config's facts in its metadata (the same bytes when there are none). */
export function withFacts(bytes: Uint8Array, facts: ModelFacts): Uint8Array {
  if (!facts.labels && !facts.preprocess) return bytes;
  return encodeWithFacts(decodeModel(bytes), facts);
}

function encodeWithFacts(model: ModelProto, facts: ModelFacts): Uint8Array {
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
  if (facts.labels) props.set("labels", JSON.stringify(facts.labels));
  if (facts.preprocess) props.set("preprocess", JSON.stringify(facts.preprocess));
  model.metadataProps = [...props].map(([key, value]) => ({
    key,
    value,
  })) as typeof model.metadataProps;
  return encodeModel(model);
}

/** The config field a labels file comes from, as errors name it. */
const LABELS_FIELD = "models.classifier.labels";

/**
 * The class names of a labels file, checked against the model's output: a
 * classifier gives one value per class, so a file of another length is
 * refused (naming `labelsField`, the config field) before anything runs.
 */
export async function labelsForModel(
  file: string,
  info: ModelInfo,
  labelsField = LABELS_FIELD,
): Promise<string[]> {
  const names = await readClassNames(file);
  const out = info.outputs[0];
  const width = out?.dims.at(-1);
  if (out && out.dims.length === 2 && typeof width === "number" && width !== names.length) {
    throw new DissectError(
      "CONFIG",
      `${labelsField} (${file}) names ${names.length} classes, but ${info.path} outputs ` +
        `${width} values per image ("${out.name}")`,
      "the labels file needs one name per output, in the model's order",
    );
  }
  return names;
}

/** Stage parameters carrying a model's facts from the run config (both optional). */
export const MODEL_FACTS_PARAMS = {
  /** A labels file (one name per line, or Places365's "name index" lines). */
  labels: z.string().min(1).optional(),
  preprocess: PreprocessParam.optional(),
};

/** The files a stage with model facts reads: the model, and the labels file when given. */
export function factsFiles(p: { model: string; labels?: string }): Record<string, string> {
  return { model: p.model, ...(p.labels && { labels: p.labels }) };
}

/** What a stage with model facts was given: the model's path and the facts' parameters. */
type FactsParams = { model: string; labels?: string; preprocess?: Preprocess };

/**
 * A model's bytes as a stage runs it: read from `files.model`, with the
 * config's labels and preprocessing in its metadata (decoded once, only
 * when there are facts to write).
 */
export async function readModelWithFacts(
  p: FactsParams,
  files: Record<string, string>,
): Promise<Uint8Array> {
  const bytes = await readModelBytes(files.model);
  if (!p.labels && !p.preprocess) return bytes;
  const info = inspectBytes(p.model, bytes);
  const labels = p.labels ? await labelsForModel(files.labels, info) : undefined;
  return encodeWithFacts(info.proto, { labels, preprocess: p.preprocess });
}

/**
 * Checks, before anything runs, with one read of the model: the layers a
 * stage will read exist, and a labels file parses and fits the model's output.
 */
export async function checkModel(
  p: FactsParams,
  files: Record<string, string>,
  layers: string[] = [],
): Promise<void> {
  const info = inspectBytes(p.model, await readModelBytes(files.model));
  requireTensors(info, layers);
  if (p.labels) await labelsForModel(files.labels, info);
}

/**
 * Checks that a classifier of a fixed input size takes the images of a data
 * set (`what`, `side` px square, set by the config's `field`): before
 * anything runs, rather than when the first stage feeds it a batch.
 */
export async function checkImageSize(
  p: FactsParams,
  side: number,
  what: string,
  field: string,
): Promise<void> {
  const info = inspectBytes(p.model, await readModelBytes(p.model));
  const [h, w] = info.inputs[0]?.dims.slice(2) ?? [];
  if ((typeof h === "number" && h !== side) || (typeof w === "number" && w !== side)) {
    // The images here are square: a side to set exists only when the model's fixed sides agree.
    const fixed = [h, w].filter((d) => typeof d === "number");
    const fix = fixed.every((d) => d === fixed[0])
      ? `set ${field} to ${fixed[0]}`
      : "its input is not square, and the images are";
    throw new DissectError(
      "CONFIG",
      `${what}: images are ${side}x${side} px, but ${p.model} takes ${h}x${w}; ${fix}`,
    );
  }
}

/**
 * Checks that a classifier knows every class of a data set (`dataLabels`,
 * named `what`), by name, as the stages that score it will match them:
 * before anything runs, rather than when the first of them opens the model.
 */
export async function checkDataClasses(
  p: FactsParams,
  dataLabels: string[],
  what: string,
): Promise<void> {
  const info = inspectBytes(p.model, await readModelWithFacts(p, factsFiles(p)));
  try {
    labelsByName(info, dataLabels);
  } catch (e) {
    if (e instanceof DissectError) {
      throw new DissectError(e.code, `${what}: ${e.message}`, e.hint);
    }
    throw e;
  }
}
