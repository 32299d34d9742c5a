/**
 * Writes a split with ground truth (the world's render, or any split whose
 * writer recorded object, part and material maps) as a data set in Broden's
 * format, which `data/broden.ts` reads back to the same images, maps and
 * classes:
 *
 * - `images/<split>/<i>.png` (RGB) and `<i>_object.png`, `<i>_part.png`,
 *   `<i>_material.png` (label R + 256·G, 0 = none), at the images' size;
 * - `index.csv` (`image,split,ih,iw,sh,sw,object,part,material,scene`, the
 *   scene being the image's class as a label number);
 * - `label.csv`: one number per distinct name, in order of first use by the
 *   object, part, material and scene lists (a name in several lists, such as
 *   object "window" and part "window", is one label in several categories,
 *   as in Broden); `c_<category>.csv`: code k = class k of the split's
 *   lists (scenes: class k - 1); `category.csv`.
 *
 * Every class of the lists is written, present in the images or not, so that
 * the data set read back has the same label lists. The folder appears whole
 * (written beside it, then renamed) or not at all.
 */
import { basename, dirname, join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { formatCsv } from "./csv.ts";
import { encodePng } from "./png.ts";
import { batches, openDataset } from "./open.ts";
import { MAP_FILES } from "./split_format.ts";
import { CODE_COLUMNS, INDEX_COLUMNS, LABEL_COLUMNS, PIXEL_CATEGORIES, SCENE } from "./broden.ts";

/** What to export where. */
export interface BrodenExportOptions {
  /** A folder in the split format, with ground truth. */
  split: string;
  /** The Broden folder to create; it must not exist, or be empty. */
  out: string;
  /** Images read and written at a time. */
  batch?: number;
  log?: (line: string) => void;
}

/** What an export wrote. */
export interface BrodenExport {
  count: number;
  /** Label numbers in label.csv. */
  labels: number;
}

const CATEGORIES = [...PIXEL_CATEGORIES, SCENE] as const;
type Category = typeof CATEGORIES[number];

/** Exports a split with ground truth to a new Broden folder (see above). */
export async function exportBroden(opts: BrodenExportOptions): Promise<BrodenExport> {
  const data = openDataset(opts.split, `split ${opts.split}`);
  const { meta } = data;
  const maps = meta.maps ?? MAP_FILES;
  if (
    !PIXEL_CATEGORIES.every((m) => maps.includes(m)) || !meta.objects || !meta.parts ||
    !meta.materials
  ) {
    throw new DissectError(
      "DATA",
      `${opts.split}: the split has no object, part and material ground truth to export`,
    );
  }
  if (meta.height !== meta.width) {
    throw new DissectError(
      "DATA",
      `${opts.split}: images are ${meta.width}x${meta.height}, not square`,
    );
  }
  await refuseExisting(opts.out);

  // Class lists per category; pixel categories' class 0 is "none" (label 0).
  const lists: Record<Category, readonly string[]> = {
    object: meta.objects,
    part: meta.parts,
    material: meta.materials,
    scene: meta.labels,
  };
  const first = (c: Category) => (c === SCENE ? 0 : 1);
  const numberOf = new Map<string, number>();
  const numbers = {} as Record<Category, Int32Array>;
  for (const c of CATEGORIES) {
    const names = lists[c].slice(first(c));
    const dup = names.find((n, k) => names.indexOf(n) !== k);
    if (dup !== undefined) {
      throw new DissectError("DATA", `${opts.split}: ${c} "${dup}" is listed twice`);
    }
    numbers[c] = new Int32Array(lists[c].length);
    lists[c].forEach((name, k) => {
      if (k < first(c)) return;
      if (!numberOf.has(name)) numberOf.set(name, numberOf.size + 1);
      numbers[c][k] = numberOf.get(name)!;
    });
  }
  if (numberOf.size > 65535) {
    throw new DissectError("DATA", `${opts.split}: ${numberOf.size} labels, a PNG holds 65535`);
  }

  const tmp = join(
    dirname(opts.out),
    `.${basename(opts.out)}.partial-${crypto.randomUUID().slice(0, 8)}`,
  );
  const folder = meta.split.replace(/[^A-Za-z0-9._-]/g, "_") || "images";
  await Deno.mkdir(join(tmp, "images", folder), { recursive: true });
  try {
    const { height: H, width: W, count } = meta, px = H * W;
    // Per category and class: images it appears in and its pixels; per label, the same over categories.
    const images = Object.fromEntries(
      CATEGORIES.map((c) => [c, new Float64Array(lists[c].length)]),
    ) as Record<Category, Float64Array>;
    const pixels = Object.fromEntries(
      CATEGORIES.map((c) => [c, new Float64Array(lists[c].length)]),
    ) as Record<Category, Float64Array>;
    const labelImages = new Float64Array(numberOf.size + 1);
    const categoryImages = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<
      Category,
      number
    >;
    const index: Record<string, string | number>[] = [];
    for (const [s, e] of batches(count, opts.batch ?? 64)) {
      const b = data.read(s, e);
      for (let i = s; i < e; i++) {
        const k = i - s;
        const name = `${folder}/${String(i).padStart(6, "0")}`;
        const row: Record<string, string | number> = {
          image: `${name}.png`,
          split: meta.split,
          ih: H,
          iw: W,
          sh: H,
          sw: W,
        };
        await Deno.writeFile(
          join(tmp, "images", `${name}.png`),
          encodePng(b.images.subarray(k * px * 3, (k + 1) * px * 3), W, H),
        );
        const inImage = new Set<number>();
        for (const c of PIXEL_CATEGORIES) {
          const map = b[c]!.subarray(k * px, (k + 1) * px);
          const rgb = new Uint8Array(px * 3), seen = new Uint8Array(lists[c].length);
          for (let p = 0; p < px; p++) {
            const n = numbers[c][map[p]];
            rgb[3 * p] = n & 255;
            rgb[3 * p + 1] = n >> 8;
            pixels[c][map[p]]++;
            seen[map[p]] = 1;
          }
          seen.forEach((v, cls) => {
            if (!v || cls === 0) return;
            images[c][cls]++;
            inImage.add(numbers[c][cls]);
          });
          if (seen.some((v, cls) => v && cls > 0)) categoryImages[c]++;
          row[c] = `${name}_${c}.png`;
          await Deno.writeFile(join(tmp, "images", row[c] as string), encodePng(rgb, W, H));
        }
        const scene = b.labels[k];
        row[SCENE] = numbers.scene[scene];
        images.scene[scene]++;
        pixels.scene[scene] += px;
        categoryImages.scene++;
        inImage.add(numbers.scene[scene]);
        for (const n of inImage) labelImages[n]++;
        index.push(row);
      }
      opts.log?.(`export-broden: ${e}/${count} images`);
    }

    const coverage = (c: Category, cls: number) => round(pixels[c][cls] / px);
    const labelRows = [...numberOf].map(([name, number]) => {
      const where = CATEGORIES.flatMap((c) => {
        const cls = numbers[c].indexOf(number);
        return cls >= first(c) ? [{ c, cls }] : [];
      });
      return {
        number,
        name,
        category: where.map(({ c, cls }) => `${c}(${images[c][cls]})`).join(";"),
        frequency: labelImages[number],
        coverage: round(where.reduce((sum, { c, cls }) => sum + pixels[c][cls] / px, 0)),
        syns: "",
      };
    });
    const write = (file: string, text: string) => Deno.writeTextFile(join(tmp, file), text);
    await write("index.csv", formatCsv([...INDEX_COLUMNS, ...CATEGORIES], index));
    await write("label.csv", formatCsv(LABEL_COLUMNS, labelRows));
    for (const c of CATEGORIES) {
      const rows = lists[c].flatMap((name, cls) =>
        cls < first(c) ? [] : [{
          code: cls + 1 - first(c),
          number: numbers[c][cls],
          name,
          frequency: images[c][cls],
          coverage: coverage(c, cls),
        }]
      );
      await write(`c_${c}.csv`, formatCsv(CODE_COLUMNS, rows));
    }
    await write(
      "category.csv",
      formatCsv(
        ["name", "first", "last", "count", "frequency"],
        CATEGORIES.map((c) => {
          const used = [...numbers[c].subarray(first(c))];
          return {
            name: c,
            first: used.length ? Math.min(...used) : 0,
            last: used.length ? Math.max(...used) : 0,
            count: used.length,
            frequency: categoryImages[c],
          };
        }),
      ),
    );
    await Deno.remove(opts.out).catch(() => {}); // an empty folder, if any
    await Deno.rename(tmp, opts.out);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return { count: meta.count, labels: numberOf.size };
}

/** Refuses an output folder that exists and is not empty, or is a file. */
async function refuseExisting(out: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(out);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  const empty = info.isDirectory && (await Array.fromAsync(Deno.readDir(out))).length === 0;
  if (!empty) throw new DissectError("CONFIG", `${out} already exists; export into a new folder`);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
