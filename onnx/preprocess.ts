/**
 * Turning dataset bytes into model input. A model says how it wants its
 * input in its ONNX metadata ("preprocess": mean, std, range, layout), so
 * any framework's model can be fed without code changes.
 */
import { z } from "zod";
import { DissectError } from "../engine/errors.ts";
import type { ModelInfo } from "./model.ts";

/** How a model wants its input: mean, std, layout and value range (metadata "preprocess"). */
export const Preprocess = z.object({
  mean: z.array(z.number()).length(3),
  std: z.array(z.number().positive()).length(3),
  layout: z.literal("NCHW"),
  range: z.tuple([z.number(), z.number()]),
});
/** A model's preprocessing. */
export type Preprocess = z.infer<typeof Preprocess>;

/** Preprocessing as a run config states it: the layout defaults to NCHW, the only one there is. */
export const PreprocessParam = Preprocess.extend({ layout: z.literal("NCHW").default("NCHW") });

/** What a model gets when its metadata says nothing: [0,1] RGB, no normalization. */
export const PLAIN: Preprocess = { mean: [0, 0, 0], std: [1, 1, 1], layout: "NCHW", range: [0, 1] };

/** A model's preprocessing from its metadata (plain [0, 1] RGB when absent). */
export function preprocessOf(info: ModelInfo): Preprocess {
  const raw = info.metadata.preprocess;
  if (!raw) return PLAIN;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new DissectError("MODEL", `${info.path}: metadata "preprocess" is not JSON: ${raw}`);
  }
  const r = Preprocess.safeParse(parsed);
  if (!r.success) {
    throw new DissectError(
      "MODEL",
      `${info.path}: metadata "preprocess" is invalid: ${r.error.issues[0].message}`,
    );
  }
  return r.data;
}

/** Label names from the model's metadata "labels" (a JSON list), if it has them. */
export function labelsOf(info: ModelInfo): string[] | null {
  const raw = info.metadata.labels;
  if (!raw) return null;
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(raw);
  } catch { /* reported below */ }
  const r = z.array(z.string()).safeParse(parsed);
  if (!r.success) {
    throw new DissectError("MODEL", `${info.path}: metadata "labels" is not a list of names`);
  }
  return r.data;
}

/**
 * The model's label index of each of a data set's labels, matched by name,
 * so a folder of a few classes can be used with a model that knows more.
 */
export function labelsByName(
  info: ModelInfo,
  dataLabels: string[],
): { modelLabels: string[]; toModel: number[] } {
  const modelLabels = labelsOf(info) ?? dataLabels;
  const toModel = dataLabels.map((name) => modelLabels.indexOf(name));
  const unknown = dataLabels.filter((_, i) => toModel[i] < 0);
  if (unknown.length) {
    throw new DissectError(
      "MODEL",
      `${info.path} does not know the data set's label(s) ${unknown.slice(0, 10).join(", ")}` +
        (unknown.length > 10 ? ` and ${unknown.length - 10} more` : ""),
      labelsHint(modelLabels, unknown),
    );
  }
  return { modelLabels, toModel };
}

/** What to say when data labels are not the model's: Places365's "/a/name" form, or a few of its names. */
function labelsHint(modelLabels: readonly string[], unknown: readonly string[]): string {
  const bare = new Set(modelLabels.map((l) => l.replace(/^\/[a-z]\//, "")));
  if (modelLabels.some((l) => /^\/[a-z]\//.test(l)) && unknown.every((u) => bare.has(u))) {
    return "the model's labels carry Places365's \"/a/\" prefixes and the data's do not: give " +
      'the data its labels from the same categories file ("labels": "list", "names": ...)';
  }
  const shown = modelLabels.slice(0, 12).join(", ");
  return `its labels (${modelLabels.length}): ${shown}${modelLabels.length > 12 ? ", ..." : ""}`;
}

/** n images of h*w interleaved RGB bytes -> float32 NCHW, normalized. */
export function toTensorData(
  rgb: Uint8Array,
  n: number,
  h: number,
  w: number,
  p: Preprocess,
): Float32Array {
  const out = new Float32Array(n * 3 * h * w);
  const px = h * w;
  const scale = (p.range[1] - p.range[0]) / 255;
  for (let c = 0; c < 3; c++) {
    const a = scale / p.std[c], b = inputShift(p, c);
    for (let i = 0; i < n; i++) {
      const src = i * px * 3 + c;
      const dst = (i * 3 + c) * px;
      for (let k = 0; k < px; k++) out[dst + k] = rgb[src + 3 * k] * a + b;
    }
  }
  return out;
}

/** Planar RGB pixels in [0, 1] ([n, 3, h, w] float) -> the model's input, normalized. */
export function planarToInput(
  pixels: Float32Array,
  h: number,
  w: number,
  p: Preprocess,
): Float32Array {
  const out = new Float32Array(pixels.length);
  const px = h * w;
  for (let plane = 0; plane * px < out.length; plane++) {
    const c = plane % 3, a = inputScale(p, c), b = inputShift(p, c);
    for (let k = plane * px; k < (plane + 1) * px; k++) out[k] = pixels[k] * a + b;
  }
  return out;
}

/** d input / d pixel for channel c, pixels in [0, 1]. */
export function inputScale(p: Preprocess, c: number): number {
  return (p.range[1] - p.range[0]) / p.std[c];
}

/** The model's input for a pixel of 0 in channel c. */
function inputShift(p: Preprocess, c: number): number {
  return (p.range[0] - p.mean[c]) / p.std[c];
}

/** A gradient with respect to the model's input [n, 3, h, w], taken back to pixels, in place. */
export function gradientToPixels(grad: Float32Array, h: number, w: number, p: Preprocess): void {
  const px = h * w;
  for (let plane = 0; plane * px < grad.length; plane++) {
    const a = inputScale(p, plane % 3);
    for (let k = plane * px; k < (plane + 1) * px; k++) grad[k] *= a;
  }
}
