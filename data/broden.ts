/**
 * A data set in Broden's format (the Broadly and Densely Labeled Dataset of
 * the original Network Dissection and NetDissect-Lite), read as images with
 * ground-truth object, part and material maps:
 *
 * - `index.csv`: `image,split,ih,iw,sh,sw` then one column per category. A
 *   category's field lists labels, dominant first, separated by ';': a
 *   decimal label number labels the whole image, a file name (under
 *   `images/`) is a PNG whose pixel label is R + 256·G (0 = unlabeled).
 * - `label.csv`: `number,name,category,frequency,coverage,syns`, every label
 *   number of the data set.
 * - `c_<category>.csv`: `code,number,name,frequency,coverage`, the dense
 *   codes 1..N of one category's labels; code k is class k of its planes.
 *
 * Each pixel gets one label per category: the first of the image's entries
 * that labels it (a later entry's different label there is counted as an
 * overlap, not kept). Label maps of another size than the image (Broden
 * 1_224 stores them at 112x112) are scaled to it by nearest neighbour.
 * Images are square and of one size within a split. The `color` and
 * `texture` columns are not read: colors are named from the pixels, as the
 * segment stage names them, and textures have no place in the planes. A
 * file, line or label that breaks the format is a one-line DATA error naming it.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { isAbsolute, join, normalize } from "node:path";
import { DissectError } from "../engine/errors.ts";
import type { RowOf } from "../engine/table_writer.ts";
import { type CsvRecord, readCsvTable } from "./csv.ts";
import type { Batch } from "./split_format.ts";
import { type ClassMap, classMapWidth, MAX_CLASSES, newClassMap, widthOf } from "./class_map.ts";

/** The columns every index.csv starts with. */
export const INDEX_COLUMNS = ["image", "split", "ih", "iw", "sh", "sw"] as const;
/** The columns of label.csv. */
export const LABEL_COLUMNS = [
  "number",
  "name",
  "category",
  "frequency",
  "coverage",
  "syns",
] as const;
/** The columns of a c_<category>.csv. */
export const CODE_COLUMNS = ["code", "number", "name", "frequency", "coverage"] as const;
/** The per-pixel categories read into planes, in the split format's order. */
export const PIXEL_CATEGORIES = ["object", "part", "material"] as const;
/** A per-pixel category. */
export type PixelCategory = typeof PIXEL_CATEGORIES[number];
/** The category whose first (dominant) label can be an image's class. */
export const SCENE = "scene";
/** Most labels one category's planes hold: 16 bits per pixel, 0 = unlabeled. */
export const MAX_CATEGORY_LABELS = MAX_CLASSES - 1;
/** Highest label number a PNG can encode (R + 256·G). */
const MAX_NUMBER = 65535;

/** A row of label.csv. */
export interface BrodenLabel {
  number: number;
  name: string;
  /** Images the label appears in, per category. */
  categories: Record<string, number>;
  frequency: number;
  coverage: number;
  syns: string[];
}

/** A row of a c_<category>.csv: a label's dense code in its category. */
export interface BrodenCode {
  code: number;
  number: number;
  name: string;
  frequency: number;
  coverage: number;
}

/** Which images of a Broden directory to read, and how. */
export interface BrodenOptions {
  /** The rows of index.csv whose split is this. */
  split: string;
  /** Image classes: each image's first scene label, or none (one class "image"). */
  labels: "none" | "scene";
  /**
   * Keep only each category's N most frequent labels (c_<category>.csv's
   * frequency; ties by code), the others read as unlabeled (NetDissect-Lite
   * keeps labels by frequency too). Default: all.
   */
  frequent?: number;
}

/** One image of the split as index.csv lists it. */
export interface BrodenImage {
  /** Its line in index.csv. */
  line: number;
  /** Its file, under images/. */
  image: string;
  ih: number;
  iw: number;
  sh: number;
  sw: number;
  /** Each category's entries, dominant first: a label number (whole image) or a label PNG under images/. */
  entries: Record<string, (number | string)[]>;
}

/** What a split of a Broden directory is, as the split format records it. */
export interface BrodenMeta {
  dir: string;
  split: string;
  count: number;
  height: number;
  width: number;
  /** Size of the label maps as stored (they are scaled to height x width). */
  segHeight: number;
  segWidth: number;
  /** Class names of each category's planes: 0 is "none", then the kept labels in code order. */
  objects: string[];
  parts: string[];
  materials: string[];
  /** Image class names: the scene labels in code order, or ["image"]. */
  labels: string[];
  /** The per-pixel categories index.csv has a column for (the others are unlabeled). */
  categories: PixelCategory[];
}

/** Images [start, end) of the split, with their classes, maps and overlaps. */
export type BrodenBatch = Batch & {
  labels: Uint16Array;
  /** Class maps: bytes, or 16-bit for a category of more than 255 kept labels. */
  object: ClassMap;
  part: ClassMap;
  material: ClassMap;
  /** Per image: pixels where a later entry of a category had another label than the kept one. */
  overlap: number[];
};

/** The items table of a Broden import: each image, its class and the labels it lost to overlaps. */
export const BRODEN_ITEMS_TABLE = {
  image: "INTEGER",
  path: "VARCHAR",
  label: "INTEGER",
  label_name: "VARCHAR",
  overlap_pixels: "BIGINT",
} as const;

/** Rows of the items table for a batch read by `reader`. */
export function brodenItemRows(
  reader: BrodenReader,
  batch: BrodenBatch,
): RowOf<typeof BRODEN_ITEMS_TABLE>[] {
  return Array.from({ length: batch.end - batch.start }, (_, k) => ({
    image: batch.start + k,
    path: reader.images[batch.start + k].image,
    label: batch.labels[k],
    label_name: reader.meta.labels[batch.labels[k]],
    overlap_pixels: batch.overlap[k],
  }));
}

const fail = (message: string): never => {
  throw new DissectError("DATA", message);
};

/** A non-negative integer field, or an error naming the file, line and column. */
function integer(r: CsvRecord, column: string, path: string, min = 0): number {
  const v = r.fields[column].trim();
  if (!/^\d+$/.test(v) || Number(v) < min) {
    fail(`${path}, line ${r.line}: ${column} "${v}" is not an integer >= ${min}`);
  }
  return Number(v);
}

/** A number field (frequency, coverage); empty reads as 0. */
function decimal(r: CsvRecord, column: string, path: string): number {
  const v = r.fields[column].trim();
  if (v === "") return 0;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`${path}, line ${r.line}: ${column} "${v}" is not a number`);
  return n;
}

/** Reads label.csv: every label number, once; number 0 (unlabeled), if listed, is left out. */
export async function readLabels(dir: string): Promise<Map<number, BrodenLabel>> {
  const path = join(dir, "label.csv");
  const table = await readCsvTable(path, LABEL_COLUMNS);
  const labels = new Map<number, BrodenLabel>();
  for (const r of table.records) {
    const number = integer(r, "number", path);
    if (number > MAX_NUMBER) {
      fail(`${path}, line ${r.line}: label ${number} is above ${MAX_NUMBER}`);
    }
    if (labels.has(number)) fail(`${path}, line ${r.line}: label ${number} is listed twice`);
    const categories: Record<string, number> = {};
    for (const part of r.fields.category.split(";").filter((s) => s.trim())) {
      const m = /^\s*([^()]+)\((\d+)\)\s*$/.exec(part);
      if (!m) {
        fail(`${path}, line ${r.line}: category "${part}" is not "name(images)"`);
      }
      categories[m![1].trim()] = Number(m![2]);
    }
    const name = r.fields.name.trim();
    if (!name) fail(`${path}, line ${r.line}: label ${number} has no name`);
    if (number === 0) continue;
    labels.set(number, {
      number,
      name,
      categories,
      frequency: decimal(r, "frequency", path),
      coverage: decimal(r, "coverage", path),
      syns: r.fields.syns.split(";").map((s) => s.trim()).filter(Boolean),
    });
  }
  return labels;
}

/**
 * Reads c_<category>.csv: codes 1..N, each once, of labels in label.csv
 * under the same name (a code 0 row, if listed, is left out).
 */
export async function readCodes(
  dir: string,
  category: string,
  labels: Map<number, BrodenLabel>,
): Promise<BrodenCode[]> {
  const path = join(dir, `c_${category}.csv`);
  const table = await readCsvTable(path, CODE_COLUMNS);
  const codes: BrodenCode[] = [];
  const seen = new Map<number, number>();
  for (const r of table.records) {
    const code = integer(r, "code", path), number = integer(r, "number", path);
    if (code === 0) continue;
    if (seen.has(code)) fail(`${path}, line ${r.line}: code ${code} is listed twice`);
    if (number === 0) fail(`${path}, line ${r.line}: code ${code} names label 0 (unlabeled)`);
    const label = labels.get(number);
    if (!label) fail(`${path}, line ${r.line}: label ${number} is not in label.csv`);
    const name = r.fields.name.trim();
    if (name !== label!.name) {
      fail(
        `${path}, line ${r.line}: label ${number} is "${name}" here, "${label!.name}" in label.csv`,
      );
    }
    seen.set(code, number);
    codes.push({
      code,
      number,
      name,
      frequency: decimal(r, "frequency", path),
      coverage: decimal(r, "coverage", path),
    });
  }
  codes.sort((a, b) => a.code - b.code);
  codes.forEach((c, k) => {
    if (c.code !== k + 1) fail(`${path}: code ${k + 1} is missing (codes run 1..N)`);
  });
  const numbers = new Set<number>();
  for (const c of codes) {
    if (numbers.has(c.number)) fail(`${path}: label ${c.number} has two codes`);
    numbers.add(c.number);
  }
  return codes;
}

/** A relative path under images/ that stays there, or an error naming the line. */
function imagePath(value: string, at: string, what: string): string {
  const v = value.trim();
  const n = normalize(v);
  if (!v || isAbsolute(v) || n.startsWith("..")) {
    fail(`${at}: ${what} "${v}" is not a path under images/`);
  }
  return v;
}

/** Reads a split of a Broden directory: its images and per-pixel labels, checked. */
export class BrodenReader {
  private constructor(
    readonly meta: BrodenMeta,
    readonly images: BrodenImage[],
    readonly labels: Map<number, BrodenLabel>,
    /** Per pixel category: label number -> class in its planes (0 for a label not kept), -1 if not in it. */
    private classOf: Record<PixelCategory, Int32Array>,
    /** Scene label number -> image class, when classes are scenes. */
    private sceneClass: Map<number, number> | null,
  ) {}

  /**
   * Opens `dir` and reads its tables; the rows of `opts.split` must describe
   * square images of one size. Errors name the file and line at fault.
   */
  static async open(dir: string, opts: BrodenOptions): Promise<BrodenReader> {
    let stat: Deno.FileInfo | null = null;
    try {
      stat = await Deno.stat(dir);
    } catch { /* reported below */ }
    if (!stat?.isDirectory) fail(`${dir}: not a Broden directory (no such folder)`);
    const indexPath = join(dir, "index.csv");
    const index = await readCsvTable(indexPath, INDEX_COLUMNS);
    const labels = await readLabels(dir);
    const categories = PIXEL_CATEGORIES.filter((c) => index.columns.includes(c));
    if (categories.length === 0) {
      fail(`${indexPath}: no ${PIXEL_CATEGORIES.join(", ")} column; nothing to dissect with`);
    }
    const names = {} as Record<PixelCategory, string[]>;
    const classOf = {} as Record<PixelCategory, Int32Array>;
    for (const cat of PIXEL_CATEGORIES) {
      const codes = categories.includes(cat) ? await readCodes(dir, cat, labels) : [];
      const kept = keepFrequent(codes, opts.frequent, join(dir, `c_${cat}.csv`));
      const lookup = new Int32Array(MAX_NUMBER + 1).fill(-1);
      lookup[0] = 0;
      for (const c of codes) lookup[c.number] = 0;
      kept.forEach((c, k) => (lookup[c.number] = k + 1));
      names[cat] = ["none", ...kept.map((c) => c.name)];
      classOf[cat] = lookup;
    }
    let classes = ["image"], sceneClass: Map<number, number> | null = null;
    if (opts.labels === "scene") {
      if (!index.columns.includes(SCENE)) {
        fail(`${indexPath}: no "${SCENE}" column, so images cannot be classed by scene`);
      }
      const scenes = await readCodes(dir, SCENE, labels);
      if (scenes.length === 0) fail(`${join(dir, `c_${SCENE}.csv`)}: lists no scenes`);
      classes = scenes.map((c) => c.name);
      sceneClass = new Map(scenes.map((c, k) => [c.number, k]));
    }
    const read = [...categories, ...(opts.labels === "scene" ? [SCENE] : [])];
    const images: BrodenImage[] = [];
    const splits = new Set<string>();
    for (const r of index.records) {
      const split = r.fields.split.trim();
      splits.add(split);
      if (split !== opts.split) continue;
      const size = Object.fromEntries(
        ["ih", "iw", "sh", "sw"].map((c) => [c, integer(r, c, indexPath, 1)]),
      ) as Record<"ih" | "iw" | "sh" | "sw", number>;
      const entries: Record<string, (number | string)[]> = {};
      for (const cat of read) {
        entries[cat] = r.fields[cat].split(";").map((s) => s.trim()).filter(Boolean).map((s) =>
          /^\d+$/.test(s) ? Number(s) : imagePath(s, `${indexPath}, line ${r.line}`, `${cat} file`)
        );
      }
      images.push({
        line: r.line,
        image: imagePath(r.fields.image, `${indexPath}, line ${r.line}`, "image"),
        ...size,
        entries,
      });
    }
    if (images.length === 0) {
      fail(
        `${indexPath}: no image in split "${opts.split}" (splits: ${
          [...splits].join(", ") || "none"
        })`,
      );
    }
    const first = images[0];
    for (const im of images) {
      if (im.ih !== im.iw) {
        fail(
          `${indexPath}, line ${im.line}: image is ${im.iw}x${im.ih}; dissection needs square images`,
        );
      }
      for (const k of ["ih", "iw", "sh", "sw"] as const) {
        if (im[k] !== first[k]) {
          fail(
            `${indexPath}, line ${im.line}: ${k} is ${im[k]}, line ${first.line}'s is ${
              first[k]
            }; ` +
              `the images of a split must be of one size`,
          );
        }
      }
      if (sceneClass) {
        const scene = im.entries[SCENE][0];
        if (scene === undefined) {
          fail(`${indexPath}, line ${im.line}: no scene label, and classes are scenes`);
        }
        if (typeof scene !== "number") {
          fail(`${indexPath}, line ${im.line}: scene "${scene}" is not a label number`);
        }
        if (!sceneClass.has(scene as number)) {
          fail(`${indexPath}, line ${im.line}: scene ${scene} is not in c_${SCENE}.csv`);
        }
      }
    }
    const meta: BrodenMeta = {
      dir,
      split: opts.split,
      count: images.length,
      height: first.ih,
      width: first.iw,
      segHeight: first.sh,
      segWidth: first.sw,
      objects: names.object,
      parts: names.part,
      materials: names.material,
      labels: classes,
      categories,
    };
    return new BrodenReader(meta, images, labels, classOf, sceneClass);
  }

  /** Images [start, end): RGB pixels, classes and each category's map, decoded concurrently. */
  async read(start: number, end: number): Promise<BrodenBatch> {
    const { count, height, width } = this.meta, px = height * width;
    if (
      !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end &&
        end <= count)
    ) {
      throw new Error(`bad batch [${start}, ${end}) of ${count} Broden images`);
    }
    const n = end - start;
    const batch: BrodenBatch = {
      start,
      end,
      images: new Uint8Array(n * px * 3),
      labels: new Uint16Array(n),
      object: this.#map("object", n * px),
      part: this.#map("part", n * px),
      material: this.#map("material", n * px),
      overlap: new Array(n).fill(0),
    };
    await Promise.all(Array.from({ length: n }, async (_, k) => {
      const im = this.images[start + k];
      batch.images.set(await this.#pixels(im), k * px * 3);
      if (this.sceneClass) batch.labels[k] = this.sceneClass.get(im.entries[SCENE][0] as number)!;
      for (const cat of this.meta.categories) {
        const { plane, overlap } = await this.#plane(im, cat);
        batch[cat].set(plane, k * px);
        batch.overlap[k] += overlap;
      }
    }));
    return batch;
  }

  /** A zeroed class map of `length` pixels for category `cat`, as wide as its label list needs. */
  #map(cat: PixelCategory, length: number): ClassMap {
    const names = {
      object: this.meta.objects,
      part: this.meta.parts,
      material: this.meta.materials,
    };
    return newClassMap(classMapWidth(names[cat].length), length);
  }

  /** An image's RGB bytes, checked against its size in index.csv. */
  async #pixels(im: BrodenImage): Promise<Uint8Array> {
    const path = join(this.meta.dir, "images", im.image);
    const { data, info } = await decode(path, im.line, (s) => s.removeAlpha().toColorspace("srgb"));
    if (info.width !== im.iw || info.height !== im.ih) {
      fail(
        `${path}: image is ${info.width}x${info.height}; index.csv line ${im.line} says ${im.iw}x${im.ih}`,
      );
    }
    return data;
  }

  /** One category's classes at every pixel of an image: its entries, dominant first. */
  async #plane(
    im: BrodenImage,
    cat: PixelCategory,
  ): Promise<{ plane: ClassMap; overlap: number }> {
    const { sh, sw } = im;
    const seg = this.#map(cat, sh * sw);
    let overlap = 0;
    for (const entry of im.entries[cat]) {
      const layer = typeof entry === "number"
        ? this.#map(cat, sh * sw).fill(
          this.#class(cat, entry, `${join(this.meta.dir, "index.csv")}, line ${im.line}`),
        )
        : await this.#labelPng(entry, im, cat);
      for (let p = 0; p < seg.length; p++) {
        const c = layer[p];
        if (c === 0) continue;
        if (seg[p] === 0) seg[p] = c;
        else if (seg[p] !== c) overlap++;
      }
    }
    return { plane: scaleNearest(seg, sh, sw, im.ih, im.iw), overlap };
  }

  /** The class in `cat`'s planes of label `number` (0 if not kept), or an error naming `where`. */
  #class(cat: PixelCategory, number: number, where: string): number {
    const c = number <= MAX_NUMBER ? this.classOf[cat][number] : -1;
    if (c >= 0) return c;
    const label = this.labels.get(number);
    return fail(
      label
        ? `${where}: label ${number} ("${label.name}") is not among the ${cat} labels of c_${cat}.csv`
        : `${where}: label ${number} is not in label.csv`,
    );
  }

  /** A label PNG's classes in `cat`, per pixel at the stored size (sh x sw). */
  async #labelPng(file: string, im: BrodenImage, cat: PixelCategory): Promise<ClassMap> {
    const path = join(this.meta.dir, "images", file);
    const { data, info, source } = await decode(path, im.line, (s) => s);
    if (info.width !== im.sw || info.height !== im.sh) {
      fail(
        `${path}: label map is ${info.width}x${info.height}; index.csv line ${im.line} says ${im.sw}x${im.sh}`,
      );
    }
    // sharp would hand a gray or 16-bit map over as 8-bit RGB: the stored channels decide.
    if (source.format !== "png" || (source.channels ?? 0) < 3 || source.depth !== "uchar") {
      fail(
        `${path}: label map is a ${source.format} of ${source.channels} channel(s) of ` +
          `${source.depth}; labels are R + 256·G of an 8-bit RGB PNG`,
      );
    }
    const ch = info.channels, lookup = this.classOf[cat];
    const out = this.#map(cat, im.sh * im.sw);
    for (let p = 0; p < out.length; p++) {
      const number = data[p * ch] + 256 * data[p * ch + 1];
      const c = lookup[number];
      out[p] = c >= 0 ? c : this.#class(cat, number, path);
    }
    return out;
  }
}

/** The kept labels of a category: all, or its `frequent` most frequent (ties by code), in code order. */
function keepFrequent(
  codes: BrodenCode[],
  frequent: number | undefined,
  path: string,
): BrodenCode[] {
  if (frequent === undefined) {
    if (codes.length > MAX_CATEGORY_LABELS) {
      fail(
        `${path}: ${codes.length} labels, label planes hold ${MAX_CATEGORY_LABELS} per category ` +
          `(set "frequent" to keep the most frequent)`,
      );
    }
    return codes;
  }
  const keep = Math.min(frequent, MAX_CATEGORY_LABELS);
  const chosen = new Set(
    [...codes].sort((a, b) => b.frequency - a.frequency || a.code - b.code).slice(0, keep)
      .map((c) => c.code),
  );
  return codes.filter((c) => chosen.has(c.code));
}

/** A file decoded to raw 8-bit channels by sharp, and what it stores; an unreadable file is an error naming it. */
async function decode(
  path: string,
  line: number,
  pipeline: (s: Sharp) => Sharp,
): Promise<{ data: Uint8Array; info: OutputInfo; source: Metadata }> {
  try {
    await Deno.stat(path);
  } catch {
    fail(`${path}: not found (index.csv line ${line})`);
  }
  try {
    const image = sharp(path);
    const source = await image.metadata();
    const { data, info } = await pipeline(image).raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info, source };
  } catch (e) {
    return fail(`${path}: cannot decode (${(e as Error).message.split("\n")[0]})`);
  }
}

/** An h x w map scaled to H x W by nearest neighbour (pixel (y, x) reads (y·h/H, x·w/W), floored). */
export function scaleNearest<M extends ClassMap>(
  map: M,
  h: number,
  w: number,
  H: number,
  W: number,
): M {
  if (h === H && w === W) return map;
  const out = newClassMap(widthOf(map), H * W) as M;
  const xs = Int32Array.from({ length: W }, (_, x) => Math.floor((x * w) / W));
  for (let y = 0; y < H; y++) {
    const row = Math.floor((y * h) / H) * w;
    for (let x = 0; x < W; x++) out[y * W + x] = map[row + xs[x]];
  }
  return out;
}
