/**
 * feature-distance: how far two image sets are apart in a classifier's
 * feature space (KID, the kernel distance of Binkowski et al., with the
 * zoo classifier in place of Inception). As a floor, the same distance
 * between the two halves of set b. Used to compare generated and real images.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { batches, openDataset } from "../data/open.ts";
import {
  checkLayers,
  createSession,
  inspectBytes,
  readModelBytes,
  requireInput,
} from "../onnx/model.ts";
import { exposeOutputs } from "../onnx/surgery.ts";
import { preprocessOf } from "../onnx/preprocess.ts";
import { imageFeed } from "../onnx/classifier.ts";
import type { SplitReader } from "../data/split_format.ts";
import { type Features, kid } from "../stats/kid.ts";

export default defineStage({
  module: import.meta.url,
  name: "feature-distance",
  description: "KID between two image sets in a classifier's feature space",
  params: z.object({
    model: z.string(),
    layer: z.string().min(1),
    batch: z.int().min(1).max(1024).default(64),
    /** KID is averaged over this many disjoint parts of the sets (its interval comes from them). */
    blocks: z.int().min(2).default(10),
    seed: z.int().default(1),
  }),
  inputs: ["a", "b"],
  tables: {
    distance: {
      measure: "VARCHAR",
      value: "DOUBLE",
      lo: "DOUBLE",
      hi: "DOUBLE",
      n_a: "INTEGER",
      n_b: "INTEGER",
    },
  },
  files: (p) => ({ model: p.model }),
  preflight: ({ params: p, files }) => checkLayers(p.model, files.model, [p.layer]),
  async run(ctx) {
    const a = openDataset(ctx.inputs.a.dir, `input a of ${ctx.node}`);
    const b = openDataset(ctx.inputs.b.dir, `input b of ${ctx.node}`);
    const original = await readModelBytes(ctx.files.model);
    const bytes = exposeOutputs(original, [ctx.params.layer], ctx.params.model);
    const info = inspectBytes(ctx.params.model, bytes);
    const session = await createSession(ctx.params.model, bytes, ctx.threads);
    const embed = async (data: SplitReader, label: string): Promise<Features> => {
      const { count, height, width } = data.meta;
      const model = {
        input: requireInput(info, { dims: [null, 3, height, width] }),
        pre: preprocessOf(info),
      };
      let feats: Float32Array | null = null;
      let d = 0;
      const bar = ctx.progress(`features of ${label}`, count);
      for (const [start, end] of batches(count, ctx.params.batch)) {
        const n = end - start;
        const out = await session.run(
          imageFeed(model, data.readImages(start, end), n, height, width),
          [ctx.params.layer],
        );
        const f = out[ctx.params.layer].data as Float32Array;
        d = f.length / n;
        feats ??= new Float32Array(count * d);
        feats.set(f, start * d);
        bar.tick(n);
      }
      bar.done();
      return { n: count, d, data: feats! };
    };
    const fa = await embed(a, "a");
    const fb = await embed(b, "b");
    await session.release();
    const half = Math.floor(fb.n / 2);
    const b1: Features = { n: half, d: fb.d, data: fb.data.subarray(0, half * fb.d) };
    const b2: Features = { n: fb.n - half, d: fb.d, data: fb.data.subarray(half * fb.d) };
    const opts = { blocks: ctx.params.blocks, seed: ctx.params.seed };
    const table = await ctx.table("distance");
    const ab = kid(fa, fb, opts);
    table.append({
      measure: "kid_a_b",
      value: ab.estimate,
      lo: ab.lo,
      hi: ab.hi,
      n_a: fa.n,
      n_b: fb.n,
    });
    const bb = kid(b1, b2, opts);
    table.append({
      measure: "kid_b_halves",
      value: bb.estimate,
      lo: bb.lo,
      hi: bb.hi,
      n_a: b1.n,
      n_b: b2.n,
    });
  },
});
