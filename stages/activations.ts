/**
 * activations: the forward pass. Runs a model over a data set (images, or a
 * generator's latents) and writes the activations of the chosen layers to
 * disk, batch by batch. The dissection stages read them back as often as
 * they need without running the model again. Only the chosen layers are
 * exposed as outputs: exposing more costs forward time.
 */
import { z } from "zod";
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batches, openDataset } from "../data/open.ts";
import { LatentReader } from "../data/latents.ts";
import {
  checkLayers,
  createSession,
  featureMapShape,
  inspectBytes,
  readModelBytes,
  requireInput,
} from "../onnx/model.ts";
import { exposeOutputs } from "../onnx/surgery.ts";
import { preprocessOf } from "../onnx/preprocess.ts";
import { imageFeed } from "../onnx/classifier.ts";
import { layerFile, type LayerShape, writeActivationsMeta } from "../dissection/activations.ts";

export default defineStage({
  module: import.meta.url,
  name: "activations",
  description: "activations of chosen layers of a model over a data set",
  params: z.object({
    model: z.string(),
    layers: z.array(z.string()).min(1),
    batch: z.int().min(1).max(1024).default(32),
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
  files: (p) => ({ model: p.model }),
  preflight: ({ params: p, files }) => checkLayers(p.model, files.model, p.layers),
  async run(ctx) {
    const { layers } = ctx.params;
    const bytes = exposeOutputs(await readModelBytes(ctx.files.model), layers, ctx.params.model);
    const info = inspectBytes(ctx.params.model, bytes);
    const input = info.inputs[0];
    const fromLatents = input.dims.length === 2;
    let count: number;
    let feed: (start: number, end: number) => ort.Tensor;
    if (fromLatents) {
      // A generator: replay the latents its samples were made from.
      const latents = new LatentReader(ctx.inputs.data.file("latents.f32"), Number(input.dims[1]));
      count = latents.count;
      feed = (s, e) => new ort.Tensor("float32", latents.read(s, e), [e - s, latents.dim]);
    } else {
      const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
      const { height, width } = data.meta;
      const model = {
        input: requireInput(info, { dims: [null, 3, height, width] }),
        pre: preprocessOf(info),
      };
      count = data.count;
      feed = (s, e) => imageFeed(model, data.readImages(s, e), e - s, height, width)[input.name];
    }
    const session = await createSession(ctx.params.model, bytes, ctx.threads);
    const files = await Promise.all(
      layers.map((l) => Deno.open(join(ctx.outDir, layerFile(l)), { write: true, create: true })),
    );
    const shapes: LayerShape[] = [];
    const bar = ctx.progress(`forward pass, ${layers.length} layer(s)`, count);
    try {
      for (const [start, end] of batches(count, ctx.params.batch)) {
        const out = await session.run({ [input.name]: feed(start, end) }, layers);
        for (let k = 0; k < layers.length; k++) {
          const t = out[layers[k]];
          shapes[k] ??= {
            layer: layers[k],
            ...featureMapShape(ctx.params.model, layers[k], t.dims as number[]),
          };
          const data = t.data as Float32Array;
          await writeAll(files[k], new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        }
        bar.tick(end - start);
      }
    } finally {
      for (const f of files) f.close();
      await session.release();
    }
    bar.done();
    await writeActivationsMeta(ctx.outDir, { count, layers: shapes });
    const t = await ctx.table("layers");
    shapes.forEach((s, position) => t.append({ position, ...s, images: count }));
  },
});
