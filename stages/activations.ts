/**
 * activations: the forward pass. Runs a model over a data set (images, or a
 * generator's latents) and writes the activations of the chosen layers to
 * disk, batch by batch. The dissection stages read them back as often as
 * they need without running the model again. Only the chosen layers are
 * exposed as outputs: exposing more costs forward time.
 */
import { z } from "zod";
import {
  checkModel,
  factsFiles,
  MODEL_FACTS_PARAMS,
  readModelWithFacts,
} from "../onnx/model_facts.ts";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batches, openDataset } from "../data/open.ts";
import { LatentReader } from "../data/latents.ts";
import { LayerReader } from "../onnx/layers.ts";
import { WEIGHTS_PARAM, withWeights } from "../onnx/randomize.ts";
import { layerFile, type LayerShape, writeActivationsMeta } from "../dissection/activations.ts";

export default defineStage({
  module: import.meta.url,
  name: "activations",
  description: "activations of chosen layers of a model over a data set",
  params: z.object({
    model: z.string(),
    ...MODEL_FACTS_PARAMS,
    layers: z.array(z.string()).min(1),
    batch: z.int().min(1).max(1024).default(32),
    /** "trained", or { random: seed } for the random-weight control. */
    weights: WEIGHTS_PARAM,
  }),
  inputs: ["data"],
  tables: {
    layers: {
      position: "INTEGER",
      layer: "VARCHAR",
      units: "INTEGER",
      height: "INTEGER",
      width: "INTEGER",
      images: "INTEGER",
    },
  },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, p.layers),
  async run(ctx) {
    const { layers } = ctx.params;
    const model = await LayerReader.open(
      ctx.params.model,
      withWeights(
        await readModelWithFacts(ctx.params, ctx.files),
        ctx.params.weights,
        ctx.params.model,
      ),
      layers,
      ctx.threads,
    );
    // A generator replays the latents its samples were made from; any other model reads images.
    const { count, feed } = model.source(
      model.takesLatents
        ? { latents: () => new LatentReader(ctx.inputs.data.file("latents.f32"), model.latentSize) }
        : { images: () => openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`) },
    );
    const files = await Promise.all(
      layers.map((l) => Deno.open(join(ctx.outDir, layerFile(l)), { write: true, create: true })),
    );
    const shapes: LayerShape[] = [];
    const bar = ctx.progress(`forward pass, ${layers.length} layer(s)`, count);
    try {
      for (const [start, end] of batches(count, ctx.params.batch)) {
        for (
          const [k, { layer, data, units, height, width }] of (await model.run(feed(start, end)))
            .entries()
        ) {
          shapes[k] ??= { layer, units, height, width };
          await writeAll(files[k], new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        }
        bar.tick(end - start);
      }
    } finally {
      for (const f of files) f.close();
      await model.release();
    }
    bar.done();
    await writeActivationsMeta(ctx.outDir, { count, layers: shapes });
    const t = await ctx.table("layers");
    shapes.forEach((s, position) => t.append({ position, ...s, images: count }));
  },
});
