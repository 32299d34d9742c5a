/**
 * import-images: a folder of the user's own images as a data set, in the
 * same split format the world renders (without ground truth), so every
 * downstream stage reads it the same way. Images are decoded with sharp,
 * resized to size x size (center crop) and stored as RGB. With
 * labels = "subfolders", each image's label is the name of its folder; with
 * labels = "list", a list file names the images and their class indices
 * into a file of class names (Places365's own format).
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { SplitWriter } from "../data/split_format.ts";
import { decodeImage, firstPerLabel, listedImages, listImageFolder } from "../data/image_folder.ts";

export default defineStage({
  module: import.meta.url,
  name: "import-images",
  description: "a folder of images as a data set",
  params: z.object({
    folder: z.string().min(1),
    size: z.int().min(16).max(1024).default(64),
    /** Scale the shorter side to this first, then cut the center size x size (256 then 224). */
    resize: z.int().min(16).max(4096).optional(),
    labels: z.enum(["subfolders", "none", "list"]).default("none"),
    /** With labels "list": a file of lines "relative/path class-index" (Places365's val list). */
    list: z.string().min(1).optional(),
    /** With labels "list": the class names, one per line or "name index" per line. */
    names: z.string().min(1).optional(),
    /** Import only the first N images of each class (paths sorted, or the list's order). */
    perClass: z.int().min(1).optional(),
  }).refine(
    (p) => p.labels !== "list" || (p.list && p.names),
    'labels "list" needs both "list" and "names" files',
  ).refine(
    (p) => p.resize === undefined || p.resize >= p.size,
    "resize must be at least size (the center crop is cut from the resized image)",
  ),
  inputs: [],
  tables: {
    items: {
      image: "INTEGER",
      path: "VARCHAR",
      label: "INTEGER",
      label_name: "VARCHAR",
    },
  },
  files: (p) => ({
    folder: p.folder,
    ...(p.labels === "list" && { list: p.list!, names: p.names! }),
  }),
  async run(ctx) {
    const { size } = ctx.params;
    const listed = ctx.params.labels === "list"
      ? await listedImages(ctx.files.folder, ctx.files.list, ctx.files.names)
      : await listImageFolder(ctx.files.folder, ctx.params.labels, ctx.params.folder);
    const { labels } = listed, { perClass } = ctx.params;
    const images = perClass ? firstPerLabel(listed.images, perClass) : listed.images;
    const writer = new SplitWriter(ctx.outDir, {
      split: "imported",
      height: size,
      width: size,
      seed: 0,
      labels,
      groundTruth: false,
    });
    const items = await ctx.table("items");
    const bar = ctx.progress("importing images", images.length);
    for (const [i, { path, relative, label }] of images.entries()) {
      const rgb = await decodeImage(path, size, ctx.params.resize ?? size);
      writer.append({ width: size, height: size, rgb, label });
      items.append({ image: i, path: relative, label, label_name: labels[label] });
      bar.tick();
    }
    bar.done();
    writer.finalize();
  },
});
