/**
 * The on-disk split format "dissect-world-split/1": a directory of raw byte
 * files (one record per image, fixed size) plus meta.json written last, so a
 * split without meta.json is known to be incomplete and is refused. Any image
 * source writes it (the world's renderer, generated samples, imported
 * folders); ground-truth maps and their label lists come from the writer.
 */
import { join } from "node:path";
import { joinFiles } from "./join_files.ts";
import { bytesOfMap, type ClassMap, classMapWidth, mapOfBytes } from "./class_map.ts";

/** The label lists of a split's ground-truth maps (indices are the map's bytes). */
export interface GroundTruthLabels {
  objects: readonly string[];
  parts: readonly string[];
  materials: readonly string[];
  colors: readonly string[];
}

/** The format tag in every split's meta.json. */
export const FORMAT = "dissect-world-split/1";

/** A split's meta.json: size, count, label names, and ground truth if any. */
export interface SplitMeta {
  format: typeof FORMAT;
  split: string;
  count: number;
  height: number;
  width: number;
  seed: number;
  labels: string[];
  /** Label lists of the ground-truth maps, when the split has them. */
  objects?: string[];
  parts?: string[];
  materials?: string[];
  colors?: string[];
  /** Ground-truth maps present (absent for images without ground truth, e.g. generated). */
  maps?: string[];
  /** Bytes per stored label: 2 (labels.u16, little-endian) for more than 256 labels, else 1 (labels.u8). */
  labelBytes?: 2;
}

/** Labels of more than 256 names take two bytes each. */
function labelBytesFor(labels: readonly unknown[]): 1 | 2 {
  return labels.length > 256 ? 2 : 1;
}

/**
 * Per-pixel map files, each count*H*W pixels: a byte each, or two
 * (`object.u16`, ...) for a class list of more than 256 names.
 */
export const MAP_FILES = ["object", "part", "material", "halfbox"] as const;
type MapName = typeof MAP_FILES[number];

const LIST_OF = { object: "objects", part: "parts", material: "materials" } as const;

/** Bytes per pixel of a split's map file `m` (half-box flags are always bytes). */
export function mapWidth(
  meta: Partial<Pick<SplitMeta, "objects" | "parts" | "materials">>,
  m: MapName,
): 1 | 2 {
  return m === "halfbox" ? 1 : classMapWidth(meta[LIST_OF[m]]?.length ?? 0);
}

/** The file name of a split's map `m`. */
export function mapFile(
  meta: Partial<Pick<SplitMeta, "objects" | "parts" | "materials">>,
  m: MapName,
): string {
  return `${m}.${mapWidth(meta, m) === 2 ? "u16" : "u8"}`;
}

/** Images [start, end) of a split with their labels and ground-truth maps. */
export interface Batch {
  start: number;
  end: number;
  /** (end-start)*H*W*3 bytes. */
  images: Uint8Array;
  /** end-start labels (indices into the split's label names). */
  labels: Uint8Array | Uint16Array;
  /** Ground-truth maps, when the split has them. */
  object?: ClassMap;
  part?: ClassMap;
  material?: ClassMap;
  halfbox?: Uint8Array;
}

/** What a writer needs of an image: pixels and label, and ground truth if the split has it. */
export type Item =
  & { width: number; height: number; rgb: Uint8Array; label: number }
  & Partial<Record<"object" | "part" | "material", ClassMap>>
  & { halfbox?: Uint8Array };

function writeAll(f: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
}

/** Streaming writer; call append() per image in order, then finalize(). */
export class SplitWriter {
  private files: Map<string, Deno.FsFile>;
  private maps: MapName[];
  private n = 0;
  private done = false;
  constructor(
    readonly dir: string,
    readonly info: {
      split: string;
      height: number;
      width: number;
      seed: number;
      labels: readonly string[];
      /** The ground-truth maps' labels, or false for images without ground truth. */
      groundTruth: GroundTruthLabels | false;
    },
  ) {
    Deno.mkdirSync(dir, { recursive: true });
    // A stale meta.json would make a half-rewritten split look complete.
    try {
      Deno.removeSync(join(dir, "meta.json"));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    this.files = new Map();
    this.maps = info.groundTruth === false ? [] : [...MAP_FILES];
    if (info.labels.length > 65536) {
      throw new Error(`split ${dir}: ${info.labels.length} labels, at most 65536`);
    }
    const truth = info.groundTruth || {};
    for (const name of ["images", "labels", ...this.maps]) {
      const file = name === "labels"
        ? `labels.${labelBytesFor(info.labels) === 2 ? "u16" : "u8"}`
        : name === "images"
        ? "images.u8"
        : mapFile(truth, name as MapName);
      this.files.set(
        name,
        Deno.openSync(join(dir, file), { write: true, create: true, truncate: true }),
      );
    }
  }

  get count(): number {
    return this.n;
  }

  append(r: Item): void {
    if (this.done) throw new Error(`split ${this.dir} already finalized`);
    if (r.width !== this.info.width || r.height !== this.info.height) {
      throw new Error(
        `image is ${r.width}x${r.height}, split is ${this.info.width}x${this.info.height}`,
      );
    }
    writeAll(this.files.get("images")!, r.rgb);
    if (!(Number.isInteger(r.label) && r.label >= 0 && r.label < this.info.labels.length)) {
      throw new Error(`label ${r.label} is not one of the split's ${this.info.labels.length}`);
    }
    const label = labelBytesFor(this.info.labels) === 2
      ? new Uint8Array([r.label & 255, r.label >> 8])
      : new Uint8Array([r.label]);
    writeAll(this.files.get("labels")!, label);
    const truth = this.info.groundTruth || {};
    for (const m of this.maps) {
      const map = r[m];
      if (!map) throw new Error(`split ${this.dir} has ground truth, the item lacks its ${m} map`);
      const width = mapWidth(truth, m);
      // A wide list's map given as bytes is widened; a narrow list's never comes wide.
      if (map.BYTES_PER_ELEMENT !== width) {
        if (width === 1) throw new Error(`the item's ${m} map is 16-bit, its list has at most 256`);
        writeAll(this.files.get(m)!, bytesOfMap(Uint16Array.from(map)));
      } else writeAll(this.files.get(m)!, bytesOfMap(map));
    }
    this.n++;
  }

  /** Close the data files, then write meta.json (the completeness marker). */
  finalize(): SplitMeta {
    if (this.done) throw new Error(`split ${this.dir} already finalized`);
    for (const f of this.files.values()) f.close();
    this.done = true;
    const meta: SplitMeta = {
      format: FORMAT,
      split: this.info.split,
      count: this.n,
      height: this.info.height,
      width: this.info.width,
      seed: this.info.seed,
      labels: [...this.info.labels],
      ...(this.info.groundTruth && {
        objects: [...this.info.groundTruth.objects],
        parts: [...this.info.groundTruth.parts],
        materials: [...this.info.groundTruth.materials],
        colors: [...this.info.groundTruth.colors],
      }),
      maps: [...this.maps],
      ...(labelBytesFor(this.info.labels) === 2 && { labelBytes: 2 as const }),
    };
    writeMeta(this.dir, meta);
    return meta;
  }
}

/** Writes a split's meta.json by rename: the marker that its data files are complete. */
function writeMeta(dir: string, meta: SplitMeta): void {
  const tmp = join(dir, "meta.json.tmp");
  Deno.writeTextFileSync(tmp, JSON.stringify(meta, null, 2) + "\n");
  Deno.renameSync(tmp, join(dir, "meta.json"));
}

/**
 * Joins splits of consecutive images (shards, in order) into `dir`: each data
 * file is theirs end to end, and meta.json, written last, counts them all.
 * The parts must agree on everything but their counts.
 */
export async function joinSplits(dir: string, parts: readonly string[]): Promise<SplitMeta> {
  if (parts.length === 0) throw new Error(`no splits to join into ${dir}`);
  const metas = parts.map((p) => new SplitReader(p).meta);
  const shape = (m: SplitMeta) => JSON.stringify({ ...m, count: 0 });
  const bad = metas.findIndex((m) => shape(m) !== shape(metas[0]));
  if (bad >= 0) throw new Error(`split ${parts[bad]} differs from ${parts[0]} in more than count`);
  const first = metas[0];
  const names = [
    `labels.${first.labelBytes === 2 ? "u16" : "u8"}`,
    "images.u8",
    ...(first.maps ?? MAP_FILES).map((m) => mapFile(first, m as MapName)),
  ];
  for (const name of names) await joinFiles(join(dir, name), parts.map((p) => join(p, name)));
  const meta = { ...first, count: metas.reduce((n, m) => n + m.count, 0) };
  writeMeta(dir, meta);
  return meta;
}

function readExact(f: Deno.FsFile, offset: number, length: number, what: string): Uint8Array {
  const buf = new Uint8Array(length);
  f.seekSync(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = f.readSync(buf.subarray(got));
    if (n === null || n === 0) throw new Error(`${what}: truncated at byte ${offset + got}`);
    got += n;
  }
  return buf;
}

/** Reads batches by file offset, never loading the whole split. */
export class SplitReader {
  readonly meta: SplitMeta;
  constructor(readonly dir: string) {
    const metaPath = join(dir, "meta.json");
    let text: string;
    try {
      text = Deno.readTextFileSync(metaPath);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          `split directory ${dir} has no meta.json: it is missing or incomplete (writer not finalized)`,
        );
      }
      throw e;
    }
    const meta = JSON.parse(text) as SplitMeta;
    if (meta.format !== FORMAT) {
      throw new Error(`${metaPath}: format is ${JSON.stringify(meta.format)}, expected ${FORMAT}`);
    }
    this.meta = meta;
  }

  get count(): number {
    return this.meta.count;
  }

  /** Images [start, end), with their labels and maps. */
  read(start: number, end: number): Batch {
    const px = this.meta.height * this.meta.width;
    const read = (name: string, per: number) => this.#file(name, per, start, end);
    const present = (this.meta.maps ?? MAP_FILES) as readonly MapName[];
    const maps = Object.fromEntries(present.map((m) => {
      const width = mapWidth(this.meta, m);
      const bytes = this.#file(m, px * width, start, end, width === 2 ? "u16" : "u8");
      return [m, mapOfBytes(bytes, width)];
    })) as Pick<Batch, MapName>;
    let labels: Uint8Array | Uint16Array;
    if (this.meta.labelBytes === 2) {
      const bytes = this.#file("labels", 2, start, end, "u16");
      labels = Uint16Array.from(
        { length: end - start },
        (_, i) => bytes[2 * i] | (bytes[2 * i + 1] << 8),
      );
    } else labels = read("labels", 1);
    return { start, end, images: read("images", px * 3), labels, ...maps };
  }

  /** The RGB bytes of images [start, end) alone, for stages that need no labels. */
  readImages(start: number, end: number): Uint8Array {
    return this.#file("images", this.meta.height * this.meta.width * 3, start, end);
  }

  /** Records [start, end) of one per-image file, `per` bytes each. */
  #file(name: string, per: number, start: number, end: number, ext = "u8"): Uint8Array {
    const { count } = this.meta;
    if (
      !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end &&
        end <= count)
    ) {
      throw new Error(`bad batch [${start}, ${end}) for split ${this.dir} of ${count} images`);
    }
    const path = join(this.dir, `${name}.${ext}`);
    const f = Deno.openSync(path, { read: true });
    try {
      return readExact(f, start * per, (end - start) * per, path);
    } finally {
      f.close();
    }
  }
}
