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
import { defineStage, type StageContext } from "../engine/stage.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batchCount, batches, batchSpan, openDataset } from "../data/open.ts";
import { LatentReader } from "../data/latents.ts";
import { LayerReader } from "../onnx/layers.ts";
import { inspectBytes } from "../onnx/model.ts";
import { WEIGHTS_PARAM, withWeights } from "../onnx/randomize.ts";
import {
  ActivationReader,
  joinActivations,
  layerFile,
  type LayerShape,
  writeActivationsMeta,
} from "../dissection/activations.ts";

const params = z.object({
  model: z.string(),
  ...MODEL_FACTS_PARAMS,
  layers: z.array(z.string()).min(1),
  batch: z.int().min(1).max(1024).default(32),
  /** "trained", or { random: seed } for the random-weight control. */
  weights: WEIGHTS_PARAM,
});

export default defineStage({
  module: import.meta.url,
  name: "activations",
  description: "activations of chosen layers of a model over a data set",
  params,
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
  // Batches are items, so each batch through the model holds the same images (or latents)
  // whatever the split; each shard writes its rows of every layer's file.
  shard: {
    async items(ctx) {
      // Counted from the model's description, without the cost of a session.
      const info = inspectBytes(ctx.params.model, await readModelWithFacts(ctx.params, ctx.files));
      return batchCount(LayerReader.count(info, dataSource(ctx)), ctx.params.batch);
    },
    async part(ctx, range) {
      const { layers } = ctx.params;
      const { model, feed, count } = await openModel(ctx);
      const { start, end } = batchSpan(range, ctx.params.batch, count);
      const files = await Promise.all(
        layers.map((l) => Deno.open(join(ctx.outDir, layerFile(l)), { write: true, create: true })),
      );
      const shapes: LayerShape[] = [];
      const bar = ctx.progress(`forward pass, ${layers.length} layer(s)`, end - start);
      try {
        for (const [s, e] of batches(end, ctx.params.batch, start)) {
          const out = await model.run(feed(s, e));
          for (const [k, { data, ...shape }] of out.entries()) {
            shapes[k] ??= shape;
            await writeAll(files[k], new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          }
          bar.tick(e - s);
        }
      } finally {
        for (const f of files) f.close();
      }
      bar.done();
      await writeActivationsMeta(ctx.outDir, { count: end - start, layers: shapes });
    },
    async merge(ctx, parts) {
      const { count, layers } = await joinActivations(
        ctx.outDir,
        parts.map((p) => ({ dir: p.dir, meta: new ActivationReader(p.dir).meta })),
      );
      const t = await ctx.table("layers");
      layers.forEach((s, position) => t.append({ position, ...s, images: count }));
    },
  },
});

/**
 * The model with the chosen layers exposed, and the inputs it reads (latents or images): one
 * session for all the parts this process runs, released when the stage ends.
 */
function openModel(ctx: StageContext<z.infer<typeof params>, "data">) {
  const { model: path, weights, layers } = ctx.params;
  return ctx.keep("model", async () => {
    const bytes = withWeights(await readModelWithFacts(ctx.params, ctx.files), weights, path);
    const model = await LayerReader.open(path, bytes, layers, ctx.threads);
    return { model, ...model.source(dataSource(ctx)) };
  }, ({ model }) => model.release());
}

/** A generator replays the latents its samples were made from; any other model reads images. */
function dataSource(ctx: StageContext<z.infer<typeof params>, "data">) {
  return {
    latents: (size: number) => new LatentReader(ctx.inputs.data.file("latents.f32"), size),
    images: () => openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`),
  };
}
