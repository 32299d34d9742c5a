/**
 * feature-distance: how far two image sets are apart in a classifier's
 * feature space (KID, the kernel distance of Binkowski et al., with the
 * zoo classifier in place of Inception). As a floor, the same distance
 * between the two halves of set b. Used to compare generated and real images.
 */
import { z } from "zod";
import {
  checkModel,
  factsFiles,
  MODEL_FACTS_PARAMS,
  readModelWithFacts,
} from "../onnx/model_facts.ts";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { openDataset } from "../data/open.ts";
import { FeatureExtractor } from "../onnx/features.ts";
import type { SplitReader } from "../data/split_format.ts";
import { halves, kid } from "../stats/kid.ts";

export default defineStage({
  module: import.meta.url,
  name: "feature-distance",
  description: "KID between two image sets in a classifier's feature space",
  params: z.object({
    model: z.string(),
    ...MODEL_FACTS_PARAMS,
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
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, [p.layer]),
  async run(ctx) {
    const a = openDataset(ctx.inputs.a.dir, `input a of ${ctx.node}`);
    const b = openDataset(ctx.inputs.b.dir, `input b of ${ctx.node}`);
    // Sets of different sizes would differ in resolution whatever they show.
    const [sa, sb] = [a.meta, b.meta].map((m) => `${m.width}x${m.height}`);
    if (sa !== sb) {
      throw new DissectError(
        "DATA",
        `${ctx.node}: set a's images are ${sa} but set b's are ${sb}; ` +
          `compare sets of one size (for imported images, set their "size")`,
      );
    }
    const model = await FeatureExtractor.open(
      ctx.params.model,
      await readModelWithFacts(ctx.params, ctx.files),
      ctx.params.layer,
      ctx.threads,
    );
    const embed = async (data: SplitReader, label: string) => {
      const bar = ctx.progress(`features of ${label}`, data.meta.count);
      const features = await model.embed(data, ctx.params.batch, (n) => bar.tick(n));
      bar.done();
      return features;
    };
    const fa = await embed(a, "a");
    const fb = await embed(b, "b");
    await model.release();
    const [b1, b2] = halves(fb);
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
