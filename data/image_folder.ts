/**
 * A folder of a user's images as items of a data set: every image file
 * under it (in path order), labeled by its top-level subfolder or not at
 * all, and each decoded to size x size RGB (center crop) with sharp.
 */
import sharp from "sharp";
import { join, relative } from "node:path";
import { DissectError } from "../engine/errors.ts";

/** The file names taken as images. */
export const IMAGE_FILE = /\.(png|jpe?g|webp|gif|tiff?|bmp)$/i;

/** One image of the folder: its path, its path under the folder, and its label's index. */
export interface FolderImage {
  path: string;
  relative: string;
  label: number;
}

/**
 * The images under `root` (hidden files and folders skipped), sorted by
 * path, with their labels: the sorted names of the top-level subfolders
 * ("subfolders"), or one label "image" ("none"). `what` names the folder in
 * errors.
 */
export async function listImageFolder(
  root: string,
  labeling: "subfolders" | "none",
  what: string,
): Promise<{ images: FolderImage[]; labels: string[] }> {
  const files: string[] = [];
  await walk(root, files);
  files.sort();
  if (files.length === 0) {
    throw new DissectError("DATA", `${what}: no image files (${IMAGE_FILE.source}) found`);
  }
  const rel = files.map((f) => relative(root, f));
  if (labeling === "subfolders" && rel.some((r) => !r.includes("/"))) {
    throw new DissectError(
      "DATA",
      `${what}: with labels "subfolders", every image must be inside a class folder`,
    );
  }
  const labelOf = (r: string) => labeling === "subfolders" ? r.split("/")[0] : "image";
  const labels = [...new Set(rel.map(labelOf))].sort();
  if (labels.length > 65536) throw new DissectError("DATA", `${what}: more than 65536 labels`);
  const index = new Map(labels.map((l, i) => [l, i]));
  return {
    images: files.map((path, i) => ({
      path,
      relative: rel[i],
      label: index.get(labelOf(rel[i]))!,
    })),
    labels,
  };
}

/**
 * An image file as size x size RGB bytes (alpha dropped): its shorter side
 * scaled to `resize` (default: size), then the center size x size cut out.
 * Sizes and offsets are computed as torchvision's Resize(resize) and
 * CenterCrop(size) compute them (the long side truncated, the offsets
 * rounded half to even), with a linear (triangle) kernel; pixel values can
 * differ from torchvision's by its own resampling. A DATA error names a file
 * it cannot decode.
 */
export async function decodeImage(path: string, size: number, resize = size): Promise<Uint8Array> {
  if (resize < size) {
    throw new DissectError("CONFIG", `resize ${resize} is smaller than the center crop ${size}`);
  }
  let rgb: Uint8Array;
  try {
    if (resize === size) {
      const { data } = await sharp(path).removeAlpha().resize(size, size, { fit: "cover" })
        .toColorspace("srgb")
        .raw().toBuffer({ resolveWithObject: true });
      rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      const meta = await sharp(path).metadata();
      // EXIF orientations 5-8 swap width and height.
      const turned = (meta.orientation ?? 1) >= 5;
      const w0 = turned ? meta.height! : meta.width!, h0 = turned ? meta.width! : meta.height!;
      const [width, height] = w0 <= h0
        ? [resize, Math.floor((resize * h0) / w0)]
        : [Math.floor((resize * w0) / h0), resize];
      const scaled = await sharp(path).rotate().removeAlpha()
        .resize(width, height, { fit: "fill", kernel: "linear" })
        .toColorspace("srgb").raw().toBuffer();
      const { data } = await sharp(scaled, { raw: { width, height, channels: 3 } })
        .extract({
          left: roundHalfEven((width - size) / 2),
          top: roundHalfEven((height - size) / 2),
          width: size,
          height: size,
        })
        .raw().toBuffer({ resolveWithObject: true });
      rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
  } catch (e) {
    throw new DissectError("DATA", `cannot decode image ${path}: ${(e as Error).message}`);
  }
  if (rgb.length !== size * size * 3) {
    throw new DissectError(
      "DATA",
      `image ${path} decoded to ${rgb.length} bytes, expected RGB ${size}x${size}`,
    );
  }
  return rgb;
}

/** Python's round(): halves go to the even neighbour (torchvision's crop offsets). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  return x - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(x);
}

async function walk(dir: string, out: string[]): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory) await walk(p, out);
    else if (e.isFile && IMAGE_FILE.test(e.name)) out.push(p);
  }
}

/**
 * Class names from a file: one name per line (index = line), or lines
 * "name index" as Places365's categories_places365.txt has them. Blank lines
 * are skipped; every index must be given once, from 0 up.
 */
export async function readClassNames(path: string): Promise<string[]> {
  const lines = (await readText(path)).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const indexed = lines.map((l) => /^(\S+)\s+(\d+)$/.exec(l));
  if (!indexed.every((m) => m)) return lines;
  const names: string[] = [];
  for (const m of indexed) {
    const i = Number(m![2]);
    if (names[i] !== undefined) {
      throw new DissectError("DATA", `${path}: class index ${i} is given twice`);
    }
    names[i] = m![1];
  }
  const hole = names.findIndex((n) => n === undefined);
  if (hole >= 0 || names.length !== lines.length) {
    throw new DissectError(
      "DATA",
      `${path}: class index ${hole >= 0 ? hole : names.length} is missing`,
    );
  }
  return names;
}

/**
 * The images a list file names, in its order: lines "relative/path index"
 * (Places365's places365_val.txt), paths under `root`, indices into `names`.
 */
export async function readImageList(
  root: string,
  listPath: string,
  names: readonly string[],
): Promise<FolderImage[]> {
  const lines = (await readText(listPath)).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) throw new DissectError("DATA", `${listPath}: lists no images`);
  return lines.map((line, n) => {
    const m = /^(.+?)\s+(\d+)$/.exec(line);
    if (!m) {
      throw new DissectError(
        "DATA",
        `${listPath}, line ${n + 1}: "${line}" is not "path class-index"`,
      );
    }
    const label = Number(m[2]);
    if (label >= names.length) {
      throw new DissectError(
        "DATA",
        `${listPath}, line ${n + 1}: class ${label}, but the class names have ${names.length}`,
      );
    }
    return { path: join(root, m[1]), relative: m[1], label };
  });
}

/** A listed data set: the class names and the images a list file names. */
export async function listedImages(
  root: string,
  listPath: string,
  namesPath: string,
): Promise<{ images: FolderImage[]; labels: string[] }> {
  const labels = await readClassNames(namesPath);
  return { images: await readImageList(root, listPath, labels), labels };
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new DissectError("INPUT_FILE", `cannot read ${path}: ${(e as Error).message}`);
  }
}

/**
 * The first `n` images of each label, in the listing's order (paths sorted,
 * or the list file's): a subset of a large set with every class kept.
 */
export function firstPerLabel(images: readonly FolderImage[], n: number): FolderImage[] {
  const taken = new Map<number, number>();
  return images.filter((im) => {
    const k = taken.get(im.label) ?? 0;
    taken.set(im.label, k + 1);
    return k < n;
  });
}

/**
 * The class names a folder of images gives its images, without decoding
 * any: its sorted subfolder names (labels "subfolders"), or its names file
 * (labels "list"). `what` names the folder in errors.
 */
export async function folderClassNames(
  spec: { folder: string; labels: "subfolders" | "list"; names?: string },
  what: string,
): Promise<string[]> {
  if (spec.labels === "list") {
    if (!spec.names) throw new DissectError("CONFIG", `${what}: labels "list" needs "names"`);
    return await readClassNames(spec.names);
  }
  return (await listImageFolder(spec.folder, "subfolders", what)).labels;
}
