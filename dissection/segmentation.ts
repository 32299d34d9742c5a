/**
 * Reading a segment artifact back: planes.json (size, labels) and the label
 * planes of images [start, end) from planes.u8, by file offset.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { buildVocabulary, PLANES, type Vocabulary } from "./concepts.ts";

/** A segment artifact's planes.json: size, label lists and concept areas. */
export interface SegmentationMeta {
  count: number;
  height: number;
  width: number;
  labels: { object: string[]; part: string[]; material: string[]; color: string[] };
  /** Pixels of each concept of the vocabulary the labels make, over all images. */
  conceptPixels?: number[];
}

/** Writes a segment artifact's planes.json, which SegmentationReader.open reads back. */
export async function writeSegmentationMeta(dir: string, meta: SegmentationMeta): Promise<void> {
  await Deno.writeTextFile(
    join(dir, "planes.json"),
    JSON.stringify(
      {
        count: meta.count,
        height: meta.height,
        width: meta.width,
        planes: PLANES,
        labels: meta.labels,
        conceptPixels: meta.conceptPixels,
      },
      null,
      2,
    ),
  );
}

/** The concept vocabulary of a stored segmentation's labels. */
export function vocabularyOf(meta: SegmentationMeta): Vocabulary {
  const { object, part, material, color } = meta.labels;
  return buildVocabulary({ objects: object, parts: part, materials: material, colors: color });
}

/** Reads stored label planes, a batch of images at a time. */
export class SegmentationReader {
  readonly px: number;
  private constructor(
    readonly dir: string,
    readonly meta: SegmentationMeta,
    private file: Deno.FsFile,
  ) {
    this.px = meta.height * meta.width;
  }

  static async open(dir: string): Promise<SegmentationReader> {
    let meta: SegmentationMeta;
    try {
      meta = JSON.parse(await Deno.readTextFile(join(dir, "planes.json")));
    } catch (e) {
      throw new DissectError("DATA", `${dir} holds no segmentation (${(e as Error).message})`);
    }
    return new SegmentationReader(dir, meta, await Deno.open(join(dir, "planes.u8")));
  }

  /**
   * PLANES.length planes of H*W bytes per image, image after image. Read
   * synchronously: a batch is a few hundred kilobytes, and an async read per
   * batch cost more than the reading itself. Into the front of `into` when
   * given, as ActivationReader.read.
   */
  read(start: number, end: number, into?: Uint8Array): Uint8Array {
    const per = PLANES.length * this.px;
    const length = (end - start) * per;
    const buf = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
    this.file.seekSync(start * per, Deno.SeekMode.Start);
    for (let got = 0; got < buf.length;) {
      const r = this.file.readSync(buf.subarray(got));
      if (!r) throw new DissectError("DATA", `${this.dir}/planes.u8 is truncated`);
      got += r;
    }
    return buf;
  }

  close(): void {
    this.file.close();
  }
}

/**
 * Refuses a dissection's inputs unless they describe the same images: as many
 * activations, label planes and images, images and planes square. The planes
 * may be of another size than the images (a segmentation at half their
 * side, as Broden's): activations are upsampled to the planes.
 */
export function checkAligned(
  what: string,
  count: number,
  seg: { count: number; height: number; width: number },
  data: { count: number; height: number; width: number },
): void {
  if (seg.count !== count || data.count !== count) {
    throw new DissectError(
      "DATA",
      `${what}: activations (${count} images), segmentation (${seg.count}) and data ` +
        `(${data.count}) must describe the same images`,
    );
  }
  if (data.height !== data.width || seg.height !== seg.width) {
    throw new DissectError(
      "DATA",
      `${what}: images (${data.width}x${data.height}) and segmentation ` +
        `(${seg.width}x${seg.height}) must be square`,
    );
  }
}

/**
 * Each concept's pixels over the data set, as the segment stage counted them;
 * refused when missing or not one per concept of the vocabulary.
 */
export function conceptAreas(what: string, meta: SegmentationMeta, dir: string): number[] {
  const C = vocabularyOf(meta).concepts.length;
  if (meta.conceptPixels?.length !== C) {
    throw new DissectError(
      "DATA",
      `${what}: the segmentation in ${dir} has no concept areas for its ${C} concepts ` +
        `(made by an older segment stage?)`,
    );
  }
  return meta.conceptPixels;
}
