/**
 * The reproduction, as a DAG of stages. Read top to bottom, it is the
 * methods section of the paper: which data, which models, which measurements,
 * feeding which claims. Node ids are what --set, --only and --force name.
 */
import { Pipeline } from "./engine/dag.ts";
import { GAN_LAYERS, type RunConfig, VGG16_CONV_LAYERS } from "./schemas/config.ts";
import activations from "./stages/activations.ts";
import quantile from "./stages/quantile.ts";
import iou from "./stages/iou.ts";
import classify from "./stages/classify.ts";
import generate from "./stages/generate.ts";
import featureDistance from "./stages/feature_distance.ts";
import render from "./stages/render.ts";
import segment from "./stages/segment.ts";
import report from "./stages/report.ts";

export default function pipeline(config: RunConfig): Pipeline {
  const p = new Pipeline();
  const { seed, size, counts } = config.world;

  // Data. The paper uses Places365 (train to rank units, val held out for
  // dissection), ImageNet for the object-centric test of one unit (C3), and
  // LSUN churches for the GAN. Here each is a split of the synthetic world,
  // rendered with exact ground truth.
  for (const split of ["train", "val", "objects", "church"] as const) {
    p.add(`world-${split}`, render, { params: { split, count: counts[split], seed, size } });
  }

  // Models. The paper dissects VGG-16 trained on Places365; here, the zoo's
  // VGG-16-shaped classifier trained on the world's train split.
  const { classifier, segmenter, generator } = config.models;
  if (classifier) {
    // M1: it is a real, working classifier on held-out data.
    p.add("classify-val", classify, {
      params: { model: classifier.path },
      inputs: { data: "world-val" },
      claims: ["M1"],
    });
  }

  // The reference segmenter (UPerNet in the paper; the zoo's small fully
  // convolutional net here) labels every val pixel with objects, parts,
  // materials and colors. M2: scored against the world's exact ground truth.
  if (segmenter) {
    p.add("segment-val", segment, {
      params: { model: segmenter.path },
      inputs: { data: "world-val" },
      claims: ["M2"],
    });
  }

  // The generator (Progressive GAN on LSUN churches in the paper; the zoo's
  // church GAN here) samples images from seeded latents. The segmenter reads
  // them as it reads real images, and real church images for comparison.
  if (generator) {
    const gan = p.add("gan-church", generate, {
      params: { model: generator.path, count: config.gan.samples, seed },
    });
    if (segmenter) {
      p.add("segment-gan-church", segment, {
        params: { model: segmenter.path },
        inputs: { data: gan },
      });
      p.add("segment-church", segment, {
        params: { model: segmenter.path },
        inputs: { data: "world-church" },
      });
    }
    if (classifier) {
      p.add("gan-distance", featureDistance, {
        params: { model: classifier.path, layer: config.gan.featureLayer },
        inputs: { a: gan, b: "world-church" },
      });
    }
  }

  // Dissection of the classifier (Fig. 1): every conv layer on held-out val.
  // The forward pass runs once; thresholds and IoU read its stored output.
  if (classifier && segmenter) {
    const acts = p.add("activations-val", activations, {
      params: { model: classifier.path, layers: classifier.layers ?? VGG16_CONV_LAYERS },
      inputs: { data: "world-val" },
    });
    const thresholds = p.add("quantile-val", quantile, { inputs: { activations: acts } });
    p.add("iou-val", iou, {
      inputs: { activations: acts, thresholds, segmentation: "segment-val", data: "world-val" },
      claims: ["C1", "C2"],
    });
  }

  // Dissection of the generator (Fig. 3): every layer, against the segmenter's
  // reading of the generated images.
  if (generator && segmenter) {
    const acts = p.add("activations-gan", activations, {
      params: { model: generator.path, layers: generator.layers ?? GAN_LAYERS },
      inputs: { data: "gan-church" },
    });
    const thresholds = p.add("quantile-gan", quantile, { inputs: { activations: acts } });
    p.add("iou-gan", iou, {
      params: {
        visualize: ["layer4", "layer5"].filter((l) => (generator.layers ?? GAN_LAYERS).includes(l)),
      },
      inputs: {
        activations: acts,
        thresholds,
        segmentation: "segment-gan-church",
        data: "gan-church",
      },
      claims: ["C8"],
    });
  }

  // The report reads every table of the run: one page per claim of claims.md.
  const all = Object.fromEntries([...p.nodes.keys()].map((id) => [id, id]));
  p.add("report", report, { inputs: all });
  return p;
}
