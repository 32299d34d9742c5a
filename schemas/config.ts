/**
 * The run configuration: which world, which models, and per-node parameter
 * overrides. Every field has a default, so `{}` is the built-in synthetic
 * world; a user config overrides what it names (JSON, validated here).
 */
import { z } from "zod";
import { EXECUTION_PROVIDERS } from "../onnx/providers.ts";
import { PreprocessParam } from "../onnx/preprocess.ts";
import { ExecutorConfig } from "../engine/executor.ts";

/**
 * Each world generation's image sides, when the config does not give them:
 * the sides its zoo models were trained at. World v2's GAN makes 64-px
 * images, so its real church reference is rendered at 64 px too.
 */
const WORLD_SIDES = { 1: { size: 64, church: 64 }, 2: { size: 112, church: 64 } } as const;

/** Which synthetic world: generation, seed, image size, images per split. */
export const WorldConfig = z.strictObject({
  /** The world's generation: 1 (14 classes) or 2 (40 classes, close-framed churches). */
  version: z.union([z.literal(1), z.literal(2)]).default(2),
  seed: z.int().min(0).default(1),
  /** Image side in pixels (default: 64 for world v1, 112 for v2). */
  size: z.int().min(16).max(512).optional(),
  /**
   * Side of the church split, the generator's real reference: the
   * generator's output side, since its samples are compared with these
   * images at one resolution (default: `size` for world v1, 64 for v2).
   */
  churchSize: z.int().min(16).max(512).optional(),
  /**
   * Images per split, sized for a cold default run under 15 minutes on two
   * CPU cores. The paper's: Places365 train 1.8 M images (units are ranked on
   * it) and val 36,500 (dissection); ImageNet, 1,000 airplane and 1,000 other
   * images (the airplane unit's test, our objects split); LSUN churches
   * 126,000 (the GAN's real reference).
   */
  counts: z.strictObject({
    train: z.int().min(1).default(2400),
    val: z.int().min(1).default(1200),
    objects: z.int().min(1).default(600),
    church: z.int().min(1).default(600),
  }).prefault({}),
}).transform((w) => {
  const sides = WORLD_SIDES[w.version];
  const size = w.size ?? sides.size;
  const churchSize = w.churchSize ?? (w.version === 1 ? size : sides.church);
  return { ...w, size, churchSize };
});

/** A model file and the layers of it to dissect. */
export const ModelRef = z.strictObject({
  /** Path to the ONNX file, relative to the working directory. */
  path: z.string().min(1),
  /** Layers (tensor names in the graph) to dissect, in order from input to output. */
  layers: z.array(z.string().min(1)).min(1).optional(),
  /**
   * A classifier's class names, when its metadata has none (a torch export):
   * a file with one name per line, or Places365's "/a/airfield 0" lines,
   * in the order of the model's outputs.
   */
  labels: z.string().min(1).optional(),
  /** Its input preprocessing (mean, std, range), when its metadata has none. */
  preprocess: PreprocessParam.optional(),
});

/** A model reference, as the config states it. */
export type ModelRef = z.infer<typeof ModelRef>;

/** A folder of the user's images, labeled by subfolder or not. */
export const ImageFolder = z.strictObject({
  /** A folder of images (png, jpeg, webp, ...), searched recursively. */
  folder: z.string().min(1),
  /**
   * "subfolders": each image is labeled by its top folder's name; "list": by a
   * list file (`list`, lines "path class-index") into class names (`names`).
   * Labels must match the classifier's by name.
   */
  labels: z.enum(["subfolders", "none", "list"]).default("none"),
  list: z.string().min(1).optional(),
  names: z.string().min(1).optional(),
  /** Images are resized (center crop) to size x size. */
  size: z.int().min(16).max(1024).default(64),
  /**
   * Scale each image's shorter side to this first, then cut the center
   * size x size: torchvision's Resize(256), CenterCrop(224) is
   * `"resize": 256, "size": 224`. Without it the image is scaled to size.
   */
  resize: z.int().min(16).max(4096).optional(),
  /**
   * Import only the first N images of each class (paths sorted, or the list's
   * order): Places365's 1.8 million training images would take 270 GB at 224 px.
   */
  perClass: z.int().min(1).optional(),
}).refine((d) => d.labels !== "list" || (d.list && d.names), {
  message: 'labels "list" needs both "list" and "names" files',
  path: ["labels"],
}).refine((d) => d.resize === undefined || d.resize >= d.size, {
  message: "resize must be at least size (the center crop is cut from the resized image)",
  path: ["resize"],
});
/** A folder of the user's images, as the config states it (defaults filled in). */
export type ImageFolder = z.infer<typeof ImageFolder>;

/**
 * Where the classifier's dissection takes its concepts from: "segmenter"
 * (the paper's way: the segmenter model's reading of the val images),
 * "truth" (the val split's own ground truth: the world's exact maps), or
 * "broden" (a data set in Broden's format, which then supplies the val
 * images too, with its annotations as ground truth).
 */
export const ConceptsConfig = z.discriminatedUnion("source", [
  z.strictObject({ source: z.literal("segmenter") }),
  z.strictObject({ source: z.literal("truth") }),
  z.strictObject({
    source: z.literal("broden"),
    /** The Broden folder: index.csv, label.csv, c_<category>.csv, images/. */
    directory: z.string().min(1),
    /** The rows of index.csv to dissect on (their split column). */
    split: z.string().min(1).default("val"),
    /** Image classes: each image's first scene label ("scene"), or none ("none"). */
    labels: z.enum(["none", "scene"]).default("none"),
    /** Keep each category's N most frequent labels, the others unlabeled (default: all). */
    frequent: z.int().min(1).optional(),
  }),
]);
/** A validated concept source. */
export type ConceptsConfig = z.infer<typeof ConceptsConfig>;

/** The 13 convolutional layers of VGG-16, as the paper names them. */
export const VGG16_CONV_LAYERS = [
  "conv1_1",
  "conv1_2",
  "conv2_1",
  "conv2_2",
  "conv3_1",
  "conv3_2",
  "conv3_3",
  "conv4_1",
  "conv4_2",
  "conv4_3",
  "conv5_1",
  "conv5_2",
  "conv5_3",
];

/** The zoo's models (zoo/models/) for each world generation, trained on that world. */
const ZOO = {
  1: {
    classifier: { path: "zoo/models/classifier.onnx" },
    segmenter: { path: "zoo/models/segmenter.onnx" },
    generator: { path: "zoo/models/gan_church.onnx" },
  },
  2: {
    classifier: { path: "zoo/models/v2/classifier.onnx" },
    segmenter: { path: "zoo/models/v2/segmenter.onnx" },
    generator: { path: "zoo/models/v2/gan_church.onnx" },
  },
} as const;

/** Layers of the zoo's generator: layer4 is 8x8 and layer5 16x16, as in the paper. */
export const GAN_LAYERS = Array.from({ length: 10 }, (_, i) => `layer${i + 1}`);

/** The run configuration (see above). */
export const RunConfig = z.strictObject({
  /** Names the run in the store; gc keeps the latest run of every name. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).default("default"),
  world: WorldConfig.prefault({}),
  /**
   * The models to dissect. Each defaults to the zoo's model trained on the
   * world the config names (`world.version`); null leaves that model (and
   * the stages needing it) out.
   */
  models: z.strictObject({
    classifier: ModelRef.nullable().optional(),
    segmenter: ModelRef.nullable().optional(),
    generator: ModelRef.nullable().optional(),
  }).prefault({}),
  /** The user's own images, in place of a world split. */
  data: z.strictObject({
    /** Held-out images to classify and dissect (replaces world-val). */
    val: ImageFolder.optional(),
    /**
     * Training images to rank units by (replaces world-train; the paper ranks
     * on Places365's training set). Labeled: by subfolder or by list, with
     * every class of the classifier, in its order.
     */
    train: ImageFolder.refine((d) => d.labels !== "none", {
      message: 'training images need labels ("subfolders" or "list")',
      path: ["labels"],
    }).optional(),
    /**
     * Real images the generator is compared with (replaces world-church; the
     * paper's GAN is compared with LSUN churches). Labels are not read.
     */
    church: ImageFolder.optional(),
  }).default({}),
  /**
   * Disk for activations: each activations node stores its layers when they
   * fit in `budgetGiB`; otherwise none, and the stages reading them compute
   * them again, one forward pass per pass over the data (the same tables,
   * more time). VGG-16's 13 conv layers at 224 px take 54 MB per image.
   */
  activations: z.strictObject({
    budgetGiB: z.number().min(0).default(8),
  }).prefault({}),
  /**
   * onnxruntime execution providers for every model, in order of preference
   * ("cuda" needs onnxruntime-node's CUDA provider installed: onnx/providers.ts).
   */
  executionProviders: z.array(z.enum(EXECUTION_PROVIDERS)).min(1).default(["cpu"]),
  /** Where the classifier's dissection (quantile-val, iou-val) takes its concepts from (above). */
  concepts: ConceptsConfig.default({ source: "segmenter" }),
  /** The classifier layer whose units are ranked and removed, and the concept of the unit test (C3). */
  units: z.strictObject({
    layer: z.string().default("conv5_3"),
    concept: z.string().default("airplane"),
  }).prefault({}),
  /**
   * The random-weight control of the counting claims (C1, C2, C7, C8): the
   * same models with their weights re-drawn at random (onnx/randomize.ts),
   * dissected by the same stages on the same data.
   */
  control: z.strictObject({
    /** Seed of the re-drawn weights. */
    seed: z.int().min(0).default(1),
  }).prefault({}),
  gan: z.strictObject({
    /**
     * Generated images to dissect, compare with the real family and remove
     * trees from (the paper removes trees from 10,000).
     */
    samples: z.int().min(1).default(600),
    /** Classifier layer whose features compare generated and real images. */
    featureLayer: z.string().default("fc7"),
    /** The generator layer edited to remove trees and insert doors (8x8 in the paper's sense). */
    editLayer: z.string().default("layer4"),
    /**
     * Samples for door insertion: each is regenerated once per feature-map
     * location (the paper does not say how many).
     */
    doorSamples: z.int().min(1).default(40),
  }).prefault({}),
  /** node id -> parameter -> value; applied over the pipeline's own values. */
  stages: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  /**
   * Who runs the sharded stages: `{ "kind": "local" }` (this process) or
   * `{ "kind": "slurm", "shards": 16, ... }`. Not part of any key: the
   * tables are the same whichever executor made them.
   */
  executor: ExecutorConfig.prefault({ kind: "local" }),
}).refine((c) => c.concepts.source === "segmenter" || !c.data.val, {
  message: 'concepts "truth" reads the world\'s val ground truth and "broden" supplies the val ' +
    "images: neither goes with data.val (a folder of images has no ground truth)",
  path: ["concepts", "source"],
}).transform((c) => {
  // A model the config does not name is the zoo's for its world; null stays out.
  const zoo = ZOO[c.world.version];
  const pick = <K extends keyof typeof zoo>(k: K): ModelRef | null =>
    c.models[k] === undefined ? { ...zoo[k] } : c.models[k];
  return {
    ...c,
    models: {
      classifier: pick("classifier"),
      segmenter: pick("segmenter"),
      generator: pick("generator"),
    },
  };
});
/** A validated run configuration. */
export type RunConfig = z.infer<typeof RunConfig>;
