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
import { inspectBytes, readModelBytes } from "./model.ts";
import { decodeModel, encodeModel } from "./proto.ts";
import { type Preprocess, PreprocessParam } from "./preprocess.ts";

/** What a config may say about a model; anything left out comes from the model's metadata. */
export interface ModelFacts {
  /** Class names, in the order of the model's outputs. */
  labels?: readonly string[];
  preprocess?: Preprocess;
}

/** The model's bytes with the config's facts in its metadata (the same bytes when there are none). */
export function withFacts(bytes: Uint8Array, facts: ModelFacts): Uint8Array {
  if (!facts.labels && !facts.preprocess) return bytes;
  const model = decodeModel(bytes);
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
  if (facts.labels) props.set("labels", JSON.stringify(facts.labels));
  if (facts.preprocess) props.set("preprocess", JSON.stringify(facts.preprocess));
  model.metadataProps = [...props].map(([key, value]) => ({
    key,
    value,
  })) as typeof model.metadataProps;
  return encodeModel(model);
}

/**
 * The class names of a labels file (`labelsField` names the config field in
 * errors), checked against the model's output: a classifier gives one value
 * per class, so a file of another length is refused before anything runs.
 */
export async function labelsForModel(
  file: string,
  model: { path: string; bytes: Uint8Array },
  labelsField: string,
): Promise<string[]> {
  const names = await readClassNames(file);
  const info = inspectBytes(model.path, model.bytes);
  const out = info.outputs[0];
  const width = out?.dims.at(-1);
  if (out && out.dims.length === 2 && typeof width === "number" && width !== names.length) {
    throw new DissectError(
      "CONFIG",
      `${labelsField} (${file}) names ${names.length} classes, but ${model.path} outputs ` +
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

/**
 * A model's bytes as a stage runs it: read from `files.model`, with the
 * config's labels and preprocessing in its metadata.
 */
export async function readModelWithFacts(
  p: { model: string; labels?: string; preprocess?: Preprocess },
  files: Record<string, string>,
): Promise<Uint8Array> {
  const bytes = await readModelBytes(files.model);
  const labels = p.labels
    ? await labelsForModel(files.labels, { path: p.model, bytes }, "models.classifier.labels")
    : undefined;
  return withFacts(bytes, { labels, preprocess: p.preprocess });
}

/** Checks, before anything runs, that a labels file parses and fits the model's output. */
export async function checkFacts(
  p: { model: string; labels?: string },
  files: Record<string, string>,
): Promise<void> {
  if (!p.labels) return;
  await labelsForModel(
    files.labels,
    { path: p.model, bytes: await readModelBytes(files.model) },
    "models.classifier.labels",
  );
}
