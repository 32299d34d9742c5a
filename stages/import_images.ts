/**
 * import-images: a folder of the user's own images as a data set, in the
 * same split format the world renders (without ground truth), so every
 * downstream stage reads it the same way. Images are decoded with sharp,
 * resized to size x size (center crop) and stored as RGB. With
 * labels = "subfolders", each image's label is the name of its folder.
 */
import { z } from "zod";
import sharp from "sharp";
import { join, relative } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { SplitWriter } from "../data/split_format.ts";

const IMAGE = /\.(png|jpe?g|webp|gif|tiff?|bmp)$/i;

export default defineStage({
  module: import.meta.url,
  name: "import-images",
  description: "a folder of images as a data set",
  params: z.object({
    folder: z.string().min(1),
    size: z.int().min(16).max(1024).default(64),
    labels: z.enum(["subfolders", "none"]).default("none"),
  }),
  inputs: [],
  tables: {
    items: {
      image: "INTEGER",
      path: "VARCHAR",
      label: "INTEGER",
      label_name: "VARCHAR",
    },
  },
  files: (p) => ({ folder: p.folder }),
  async run(ctx) {
    const root = ctx.files.folder;
    const files: string[] = [];
    await walk(root, files);
    files.sort();
    if (files.length === 0) {
      throw new DissectError(
        "DATA",
        `${ctx.params.folder}: no image files (${IMAGE.source}) found`,
      );
    }
    const labelOf = (f: string) =>
      ctx.params.labels === "subfolders" ? relative(root, f).split("/")[0] : "image";
    if (ctx.params.labels === "subfolders" && files.some((f) => !relative(root, f).includes("/"))) {
      throw new DissectError(
        "DATA",
        `${ctx.params.folder}: with labels "subfolders", every image must be inside a class folder`,
      );
    }
    const labels = [...new Set(files.map(labelOf))].sort();
    if (labels.length > 65536) {
      throw new DissectError("DATA", `${ctx.params.folder}: more than 65536 labels`);
    }
    const { size } = ctx.params;
    const writer = new SplitWriter(ctx.outDir, {
      split: "imported",
      height: size,
      width: size,
      seed: 0,
      labels,
      groundTruth: false,
    });
    const items = await ctx.table("items");
    const bar = ctx.progress("importing images", files.length);
    for (const [i, f] of files.entries()) {
      let rgb: Uint8Array;
      try {
        const { data } = await sharp(f).removeAlpha().resize(size, size, { fit: "cover" })
          .toColorspace("srgb")
          .raw().toBuffer({ resolveWithObject: true });
        rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } catch (e) {
        throw new DissectError("DATA", `cannot decode image ${f}: ${(e as Error).message}`);
      }
      if (rgb.length !== size * size * 3) {
        throw new DissectError(
          "DATA",
          `image ${f} decoded to ${rgb.length} bytes, expected RGB ${size}x${size}`,
        );
      }
      const label = labels.indexOf(labelOf(f));
      writer.append({ width: size, height: size, rgb, label });
      items.append({ image: i, path: relative(root, f), label, label_name: labels[label] });
      bar.tick();
    }
    bar.done();
    writer.finalize();
  },
});

async function walk(dir: string, out: string[]): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory) await walk(p, out);
    else if (e.isFile && IMAGE.test(e.name)) out.push(p);
  }
}
