/**
 * The reference segmenter as the method uses it: a model labels objects,
 * parts and materials; colors are named from the pixels; the half-box parts
 * come from each connected component of the predicted objects. Used by the
 * segment stage and by stages that segment images they edit in memory.
 */
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { DissectError } from "../engine/errors.ts";
import { createSession, inspectBytes, type ModelInfo, requireInput } from "../onnx/model.ts";
import { classMapOf, withClassMaps } from "../onnx/surgery.ts";
import { type Preprocess, preprocessOf, toTensorData } from "../onnx/preprocess.ts";
import { type ClassMap, MAX_CLASSES, newClassMap } from "../data/class_map.ts";
import { buildVocabulary, planesFrom, planeWidth, type Vocabulary } from "./concepts.ts";
import { COLORS } from "./colors.ts";

/** The segmenter's output heads. */
export const HEADS = ["object", "part", "material"] as const;
/** One segmenter head. */
export type Head = typeof HEADS[number];
const LABEL_KEYS = { object: "objects", part: "parts", material: "materials" } as const;

/** Label planes of a batch: PLANES.length planes of H*W pixels per image, image after image. */
export interface Segmented {
  planes: ClassMap;
  /** Class maps per head, n*H*W (views of the same predictions). */
  maps: Record<Head, ClassMap>;
}

/** Images per segmenter run (see `maps`), unless its metadata "max_batch" asks for fewer. */
const CHUNK = 32;

/** A segmenter model, checked against its label lists, that labels batches of images as planes. */
export class Segmenter {
  private constructor(
    readonly path: string,
    readonly info: ModelInfo,
    readonly labels: Record<Head, string[]>,
    readonly vocab: Vocabulary,
    readonly size: number,
    private session: ort.InferenceSession,
    private input: string,
    private pre: Preprocess,
    /** Bytes per pixel of its class maps: 2 when a head has more than 256 classes. */
    readonly pixelBytes: 1 | 2,
    /** Images per run: a large model (UPerNet at 224 px) says in its metadata how few fit. */
    readonly chunk: number,
  ) {}

  static async open(
    path: string,
    bytes: Uint8Array,
    size: number,
    threads: number,
  ): Promise<Segmenter> {
    const info = inspectBytes(path, bytes);
    // A fully convolutional segmenter takes any size its pools divide (metadata size_multiple).
    const input = requireInput(info, { dims: [null, 3, size, size] });
    const multiple = Number(info.metadata.size_multiple ?? 1);
    if (!Number.isInteger(multiple) || multiple < 1 || size % multiple) {
      throw new DissectError(
        "MODEL",
        `${path}: images of ${size} px cannot be segmented: the model's sides must be multiples ` +
          `of ${info.metadata.size_multiple} (metadata size_multiple)`,
      );
    }
    const labels = Object.fromEntries(
      HEADS.map((h) => [h, metadataList(info.metadata, LABEL_KEYS[h], path)]),
    ) as Record<Head, string[]>;
    for (const h of HEADS) {
      const out = info.outputs.find((o) => o.name === h);
      if (!out) {
        throw new DissectError(
          "MODEL",
          `${path} has no output "${h}"`,
          `a segmenter outputs logits named object, part and material; it has: ${
            info.outputs.map((o) => o.name).join(", ")
          }`,
        );
      }
      // A class count unknown until run time could exceed the list (or the ids' width) unseen.
      const classes = out.dims[1];
      if (typeof classes !== "number") {
        throw new DissectError(
          "MODEL",
          `${path}: output "${h}" has no fixed class count on axis 1 (it is "${classes}"); ` +
            `export it with the class axis static`,
        );
      }
      if (classes !== labels[h].length || classes > MAX_CLASSES) {
        throw new DissectError(
          "MODEL",
          `${path}: output "${h}" has ${classes} classes but its metadata names ` +
            `${labels[h].length} (at most ${MAX_CLASSES})`,
        );
      }
    }
    const vocab = buildVocabulary({
      objects: labels.object,
      parts: labels.part,
      materials: labels.material,
      colors: COLORS,
    });
    const most = Number(info.metadata.max_batch ?? CHUNK);
    if (!Number.isInteger(most) || most < 1) {
      throw new DissectError(
        "MODEL",
        `${path}: metadata max_batch must be a positive integer, not "${info.metadata.max_batch}"`,
      );
    }
    const pixelBytes = planeWidth(labels);
    // Per-pixel argmax runs in the graph: only class maps come out.
    const session = await createSession(
      path,
      withClassMaps(bytes, [...HEADS], path, pixelBytes),
      threads,
    );
    return new Segmenter(
      path,
      info,
      labels,
      vocab,
      size,
      session,
      input.name,
      preprocessOf(info),
      pixelBytes,
      Math.min(CHUNK, most),
    );
  }

  /** Segment n images of size x size interleaved RGB bytes. */
  async segment(rgb: Uint8Array, n: number): Promise<Segmented> {
    const maps = await this.maps(rgb, n, HEADS);
    const planes = planesFrom(maps, rgb, {
      n,
      height: this.size,
      width: this.size,
      labels: this.labels,
      what: this.path,
    });
    return { planes, maps };
  }

  /**
   * The class maps of some heads only (n x size x size class ids each): the
   * model computes no other head's output, and no label planes are made.
   * Large batches run CHUNK images at a time: the feature maps of a few
   * hundred images at once overflow the caches and run slower per image.
   */
  async maps<H extends Head>(
    rgb: Uint8Array,
    n: number,
    heads: readonly H[],
  ): Promise<Record<H, ClassMap>> {
    const s = this.size, px = s * s;
    const out = Object.fromEntries(
      heads.map((h) => [h, newClassMap(this.pixelBytes, n * px)]),
    ) as Record<H, ClassMap>;
    for (let start = 0; start < n; start += this.chunk) {
      const m = Math.min(this.chunk, n - start);
      const images = rgb.subarray(start * px * 3, (start + m) * px * 3);
      const x = new ort.Tensor("float32", toTensorData(images, m, s, s, this.pre), [m, 3, s, s]);
      const result = await this.session.run({ [this.input]: x }, heads.map(classMapOf));
      for (const h of heads) out[h].set(result[classMapOf(h)].data as ClassMap, start * px);
    }
    return out;
  }

  /** Index of a class of one head by name, or an error listing the names. */
  classId(head: Head, name: string): number {
    const i = this.labels[head].indexOf(name);
    if (i < 0) {
      throw new DissectError(
        "MODEL",
        `${this.path} has no ${head} class "${name}"`,
        `its ${head} classes: ${this.labels[head].join(", ")}`,
      );
    }
    return i;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function metadataList(metadata: Record<string, string>, key: string, path: string): string[] {
  const raw = metadata[key];
  let parsed: unknown = null;
  try {
    parsed = raw ? JSON.parse(raw) : null;
  } catch { /* reported below */ }
  const r = z.array(z.string()).safeParse(parsed);
  if (!r.success) {
    throw new DissectError(
      "MODEL",
      `${path}: metadata "${key}" must be a JSON list of class names (index 0 = none)`,
    );
  }
  return r.data;
}
