/**
 * activations: the forward pass. Runs a model over a data set (images, or a
 * generator's latents) and writes the activations of the chosen layers to
 * disk, batch by batch, when they fit the disk budget. The dissection
 * stages read them back as often as they need, or, when they were not
 * stored, compute them again from the same model and batches
 * (dissection/recompute.ts). Only the chosen layers are exposed as outputs:
 * exposing more costs forward time.
 */
import { z } from "zod";
import { checkModel, factsFiles, readModelWithFacts } from "../onnx/model_facts.ts";
import { join } from "node:path";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { formatBytes } from "../engine/bytes.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batchCount, batches, batchSpan, openDataset } from "../data/open.ts";
import { LatentReader } from "../data/latents.ts";
import { LayerReader } from "../onnx/layers.ts";
import { inspectBytes } from "../onnx/model.ts";
import {
  ActivationReader,
  joinActivations,
  layerFile,
  type LayerShape,
  writeActivationsMeta,
} from "../dissection/activations.ts";
import {
  activationBytes,
  FORWARD_PARAMS,
  openForward,
  storedLayers,
} from "../dissection/recompute.ts";

const params = z.object({
  ...FORWARD_PARAMS,
  /** Bytes the stored activations may take; over it, none are stored and readers compute them again. */
  budget: z.number().min(0).default(8 * 2 ** 30),
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
      /** Whether its activations are on disk (else computed again by the stages reading them). */
      stored: "BOOLEAN",
    },
  },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, p.layers),
  // Batches are items, so each batch through the model holds the same images (or latents)
  // whatever the split; each shard writes its rows of every stored layer's file.
  shard: {
    async items(ctx) {
      // Counted from the model's description, without the cost of a session.
      const info = inspectBytes(ctx.params.model, await readModelWithFacts(ctx.params, ctx.files));
      return batchCount(LayerReader.count(info, dataSource(ctx)), ctx.params.batch);
    },
    async part(ctx, range) {
      const { forward, shapes, stored } = await openModel(ctx);
      const { start, end } = batchSpan(range, ctx.params.batch, forward.count);
      const kept = shapes.map((s, k) => ({ s, k })).filter(({ s }) => stored.includes(s.layer));
      if (kept.length) {
        const files = await Promise.all(
          kept.map(({ s }) =>
            Deno.open(join(ctx.outDir, layerFile(s.layer)), { write: true, create: true })
          ),
        );
        const bar = ctx.progress(`forward pass, ${kept.length} layer(s)`, end - start);
        try {
          for (const [s, e] of batches(end, ctx.params.batch, start)) {
            const out = await forward.run(s, e);
            for (const [i, { k }] of kept.entries()) {
              const { data } = out[k];
              await writeAll(
                files[i],
                new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
              );
            }
            bar.tick(e - s);
          }
        } finally {
          for (const f of files) f.close();
        }
        bar.done();
      }
      await writeActivationsMeta(ctx.outDir, { count: end - start, layers: shapes, stored });
    },
    async merge(ctx, parts) {
      const { count, layers, stored } = await joinActivations(
        ctx.outDir,
        parts.map((p) => ({ dir: p.dir, meta: new ActivationReader(p.dir).meta })),
      );
      const t = await ctx.table("layers");
      layers.forEach((s, position) =>
        t.append({ position, ...s, images: count, stored: stored!.includes(s.layer) })
      );
    },
  },
});

/**
 * The model with the chosen layers exposed, fed from the data set; the
 * layers' shapes (from one item) and which of them fit the budget: opened
 * once for all the parts this process runs, released when the stage ends.
 */
function openModel(ctx: StageContext<z.infer<typeof params>, "data">) {
  return ctx.keep("model", async () => {
    const forward = await openForward(
      ctx.params,
      ctx.files,
      ctx.inputs.data.dir,
      ctx.threads,
      `input of ${ctx.node}`,
    );
    try {
      const shapes: LayerShape[] = (await forward.run(0, 1)).map(({ data: _, ...s }) => s);
      const stored = storedLayers(shapes, forward.count, ctx.params.budget);
      if (stored.length < shapes.length) {
        ctx.log(
          `the activations would take ${formatBytes(activationBytes(shapes, forward.count))}, ` +
            `over the disk budget of ${formatBytes(ctx.params.budget)}: not stored, the stages ` +
            `reading them compute them again`,
        );
      }
      return { forward, shapes, stored };
    } catch (e) {
      await forward.release();
      throw e;
    }
  }, ({ forward }) => forward.release());
}

/** A generator replays the latents its samples were made from; any other model reads images. */
function dataSource(ctx: StageContext<z.infer<typeof params>, "data">) {
  return {
    latents: (size: number) => new LatentReader(ctx.inputs.data.file("latents.f32"), size),
    images: () => openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`),
  };
}
