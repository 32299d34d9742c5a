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
import { defineStage, type StageContext } from "../engine/stage.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import { LayerReader } from "../onnx/layers.ts";
import { inspectBytes } from "../onnx/model.ts";
import { ActivationReader, joinActivations } from "../dissection/activations.ts";
import {
  FORWARD_PARAMS,
  forwardSource,
  openForward,
  planStorage,
  writeForward,
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
      const source = forwardSource(ctx.inputs.data.dir, `input of ${ctx.node}`);
      return batchCount(LayerReader.count(info, source), ctx.params.batch);
    },
    async part(ctx, range) {
      const { forward, shapes, stored } = await openModel(ctx);
      const { start, end } = batchSpan(range, ctx.params.batch, forward.count);
      // Nothing stored: nothing runs here (the readers run the model).
      const bar = stored.length
        ? ctx.progress(`forward pass, ${stored.length} layer(s)`, end - start)
        : null;
      await writeForward({
        forward,
        shapes,
        stored,
        start,
        end,
        batch: ctx.params.batch,
        dir: ctx.outDir,
        tick: (n) => bar?.tick(n),
      });
      bar?.done();
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
 * The model with the chosen layers exposed, fed from the data set, and which
 * layers fit the budget: opened once for all the parts this process runs,
 * released when the stage ends.
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
      const plan = await planStorage(forward, ctx.params.budget);
      if (plan.over) ctx.log(plan.over);
      return { forward, ...plan };
    } catch (e) {
      await forward.release();
      throw e;
    }
  }, ({ forward }) => forward.release());
}
