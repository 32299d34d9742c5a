/**
 * The paper's run on stand-ins, here, where nothing can be downloaded:
 *
 *   deno run -A zoo/paper/stand_ins.ts [--dir artifacts/paper-stand-in] [--images 24]
 *
 * writes into DIR what `deno task fetch-paper` and the converters would: the
 * three models converted from seeded random checkpoints of the released
 * formats (zoo/paper/convert_*.py --stand-in, narrowed by --width-div so a
 * run stays small; the segmenter's object head restricted to the objects the
 * claims ask for, so that each finds units), Places365-shaped class folders
 * as the paper's copy has them (rendered world scenes at 256 px, each in the
 * folder of the class the stand-in classifier predicts for it, so that the
 * attacks have correctly classified images), a folder of real-church
 * stand-ins, and DIR/paper.json: configs/paper.json with its paths moved
 * under DIR, nothing else changed.
 * It prints the command that runs it with small counts (`--set`).
 *
 * What it proves: the recipe runs end to end on files of the released
 * formats and shapes, and every stage and claim page works on models of the
 * paper's architectures at the paper's sizes. What it cannot: any number the
 * paper reports (the weights are random).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { renderItem } from "../../world/render.ts";
import { splitItem } from "../../world/splits.ts";
import { encodePng } from "../../data/png.ts";
import { allCores, createSession, inspectBytes, readModelBytes } from "../../onnx/model.ts";
import { labelsOf } from "../../onnx/preprocess.ts";
import { classifierFor, imageFeed } from "../../onnx/classifier.ts";
import { decodeImage } from "../../data/image_folder.ts";
import { argmax } from "../../stats/argmax.ts";

const PY = "/usr/bin/python3";
const HERE = new URL(".", import.meta.url).pathname;
const SIZE = 256;
/** The classifier's input, cut from each image as paper.json's val folder has it imported. */
const CROP = 224;

/** Small counts for a stand-in run: each stage parameter the paper's sample sizes set. */
export const SMALL_COUNTS = [
  "gan-church.count=16",
  "gan-church-control.count=16",
  "world-objects.count=16",
  "tree-removal.samples=8",
  "door-insertion.samples=2",
  "cw-attack.images=4",
  "paint-check.samples=4",
];

/** Writes the stand-in models, data and config into `dir`; returns the config's path. */
export async function writeStandIns(
  dir: string,
  opts: { images: number; log?: (line: string) => void },
): Promise<string> {
  const log = opts.log ?? (() => {});
  const models = join(dir, "models");
  await Deno.mkdir(models, { recursive: true });
  for (
    const [script, args] of [
      ["convert_vgg16.py", ["--width-div", "16"]],
      ["convert_progan.py", ["--width-div", "8", "--name", "gan_church"]],
      ["convert_upernet.py", ["--width-div", "16", "--claims-only"]],
    ] as const
  ) {
    log(`converting a stand-in: ${script} ${args.join(" ")}`);
    const r = await new Deno.Command(PY, {
      args: [join(HERE, script), "--stand-in", ...args, "--out", models],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`${script} failed:\n${new TextDecoder().decode(r.stderr)}`);
    }
  }
  // Places365's class folders, named as the stand-in classifier names its classes. Each image
  // goes to the class the stand-in predicts for it (its centre 224 px, as the pipeline crops), so
  // that the stages starting from correctly classified images (the attacks) have some.
  const vgg = join(models, "vgg16_places365.onnx");
  const bytes = await readModelBytes(vgg);
  const names = labelsOf(inspectBytes(vgg, bytes))!;
  const classifier = classifierFor(vgg, bytes, { labels: names, height: CROP, width: CROP });
  const session = await createSession(vgg, bytes, allCores());
  const splits = [["val", "places365-val/places/val"], [
    "train",
    "places365-train/places/train",
  ]] as const;
  try {
    for (const [split, folder] of splits) {
      log(`rendering and classifying ${opts.images} stand-in ${split} images`);
      for (let i = 0; i < opts.images; i++) {
        const rgb = renderItem(split, splitItem(split, i, 1), SIZE).rgb;
        const file = join(dir, folder, `${i}.png`);
        await Deno.mkdir(join(dir, folder), { recursive: true });
        await Deno.writeFile(file, encodePng(rgb, SIZE, SIZE));
        // Classified as the import stage will read it (resize 256, centre crop 224), then filed.
        const input = await decodeImage(file, CROP, SIZE);
        const feed = imageFeed(classifier, input, 1, CROP, CROP);
        const logits = (await session.run(feed))[classifier.output].data as Float32Array;
        const classFolder = join(dir, folder, names[argmax(logits)]);
        await Deno.mkdir(classFolder, { recursive: true });
        await Deno.rename(file, join(classFolder, `${i}.png`));
      }
    }
  } finally {
    await session.release();
  }
  const church = join(dir, "lsun-church", "church_outdoor");
  await Deno.mkdir(church, { recursive: true });
  for (let i = 0; i < opts.images; i++) {
    const r = renderItem("church", splitItem("church", i, 1), SIZE);
    await Deno.writeFile(join(church, `${i}.png`), encodePng(r.rgb, SIZE, SIZE));
  }
  const config = join(dir, "paper.json");
  const text = await Deno.readTextFile(join(HERE, "../../configs/paper.json"));
  await Deno.writeTextFile(config, text.replaceAll('"artifacts/paper/', `"${dir}/`));
  return config;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      dir: { type: "string", default: "artifacts/paper-stand-in" },
      images: { type: "string", default: "24" },
    },
  });
  const images = Number(values.images);
  if (!Number.isInteger(images) || images < 1) {
    console.error(`--images must be a positive integer, not ${values.images}`);
    Deno.exit(2);
  }
  const config = await writeStandIns(values.dir!, { images, log: (l) => console.error(l) });
  const sets = SMALL_COUNTS.map((s) => `--set ${s}`).join(" ");
  console.log(`wrote ${config}; run it with:\n  deno task reproduce --config ${config} ${sets}`);
}
