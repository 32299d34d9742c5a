/**
 * Reading a segment artifact back: planes.json (size, labels) and the label
 * planes of images [start, end) from planes.u8 (planes.u16 when a label list
 * has more than 256 classes), by file offset.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { type ClassMap, newClassMap } from "../data/class_map.ts";
import { buildVocabulary, PLANES, planeWidth, type Vocabulary } from "./concepts.ts";

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

/** Bytes per pixel of a segmentation's planes, from its label lists. */
export function planeWidthOf(meta: Pick<SegmentationMeta, "labels">): 1 | 2 {
  return planeWidth(meta.labels);
}

/** The file of a segmentation's planes: planes.u8, or planes.u16 for 16-bit planes. */
export function planesFile(meta: Pick<SegmentationMeta, "labels">): string {
  return planeWidthOf(meta) === 2 ? "planes.u16" : "planes.u8";
}

/** The concept vocabulary of a stored segmentation's labels. */
export function vocabularyOf(meta: SegmentationMeta): Vocabulary {
  const { object, part, material, color } = meta.labels;
  return buildVocabulary({ objects: object, parts: part, materials: material, colors: color });
}

/** Reads stored label planes, a batch of images at a time. */
export class SegmentationReader {
  readonly px: number;
  /** Bytes per pixel of the planes (2 when a label list has more than 256 classes). */
  readonly pixelBytes: 1 | 2;
  private constructor(
    readonly dir: string,
    readonly meta: SegmentationMeta,
    private file: Deno.FsFile,
  ) {
    this.px = meta.height * meta.width;
    this.pixelBytes = planeWidthOf(meta);
  }

  static async open(dir: string): Promise<SegmentationReader> {
    let meta: SegmentationMeta;
    try {
      meta = JSON.parse(await Deno.readTextFile(join(dir, "planes.json")));
    } catch (e) {
      throw new DissectError("DATA", `${dir} holds no segmentation (${(e as Error).message})`);
    }
    return new SegmentationReader(dir, meta, await Deno.open(join(dir, planesFile(meta))));
  }

  /** A buffer for the planes of n images, for `read`'s `into`. */
  buffer(n: number): ClassMap {
    return newClassMap(this.pixelBytes, n * PLANES.length * this.px);
  }

  /**
   * PLANES.length planes of H*W pixels per image, image after image. Read
   * synchronously: a batch is a few hundred kilobytes, and an async read per
   * batch cost more than the reading itself. Into the front of `into` (made
   * by `buffer`) when given, as ActivationReader.read.
   */
  read(start: number, end: number, into?: ClassMap): ClassMap {
    const per = PLANES.length * this.px, w = this.pixelBytes;
    const length = (end - start) * per;
    const buf = into && into.length >= length && into.BYTES_PER_ELEMENT === w
      ? into.subarray(0, length)
      : newClassMap(w, length);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, length * w);
    this.file.seekSync(start * per * w, Deno.SeekMode.Start);
    for (let got = 0; got < bytes.length;) {
      const r = this.file.readSync(bytes.subarray(got));
      if (!r) throw new DissectError("DATA", `${this.dir}/${planesFile(this.meta)} is truncated`);
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
