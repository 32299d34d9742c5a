/**
 * Sharding's cost: the forward pass and the IoU counting of one layer
 * (conv5_3) over 1200 val images, as 4 local shards against one, on this
 * machine's cores. The split, the partials and the merge must cost almost
 * nothing: target at most 1.1. Timed alternately, five rounds each, on one
 * store (the executor is not part of any key, so `--force` reruns the same
 * stages), compared by medians. The stages take about a second, so the
 * unsharded config also runs twice per round under two names: their ratio is
 * the measurement's own noise, reported beside the judged ratio. With a
 * running Slurm cluster (sinfo), the same as a 4-task job array on it is
 * reported beside (no target: it adds scheduling, and a shard's own process
 * start and planning).
 */
import { join } from "node:path";
import { type Benchmark, median } from "./harness.ts";
import { runOnce } from "./pipeline_run.ts";
import { clusterIsUp } from "../engine/slurm.ts";

const IMAGES = 1200;
const STAGES = ["activations-val", "iou-val"];
const LAYER = ["--only", "iou-val", "--set", `activations-val.layers=["conv5_3"]`];
const ARGS = [...LAYER, ...STAGES.flatMap((s) => ["--force", s])];
const ROUNDS = 5;

/** Sharded (4 local shards) against unsharded wall time of two dissection stages. */
export const sharding: Benchmark = {
  name: "sharding",
  description: `activations + iou of conv5_3 over ${IMAGES} val images: 4 local shards / 1`,
  async run() {
    const dir = await Deno.makeTempDir({ prefix: "dissect-bench-" });
    try {
      const store = join(dir, "store");
      const config = async (name: string, executor: Record<string, unknown>) => {
        const path = join(dir, `${name}.json`);
        await Deno.writeTextFile(
          path,
          JSON.stringify({
            name: "bench",
            world: { version: 1, counts: { val: IMAGES } },
            executor,
          }),
        );
        return path;
      };
      const variants: Record<string, string> = {
        one: await config("one", { kind: "local", shards: 1 }),
        four: await config("four", { kind: "local", shards: 4 }),
        // The same config as "one": what two identical runs differ by.
        again: await config("again", { kind: "local", shards: 1 }),
      };
      if (await clusterIsUp()) {
        variants.slurm = await config("slurm", {
          kind: "slurm",
          shards: 4,
          cpusPerTask: 1,
          pollSeconds: 1,
        });
      }
      // The first run renders, segments and takes the thresholds; it is not timed.
      await runOnce(variants.one, store, LAYER);
      const seconds: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, path] of Object.entries(variants)) {
          const run = await runOnce(path, store, ARGS);
          (seconds[name] ??= []).push(STAGES.reduce((t, s) => t + run.seconds[s], 0));
        }
      }
      const metrics: Record<string, number> = {};
      for (const [name, xs] of Object.entries(seconds)) {
        metrics[`${name}_median_s`] = median(xs);
        xs.forEach((x, i) => (metrics[`${name}_round${i + 1}_s`] = x));
      }
      metrics.one_again_over_one = median(seconds.again) / median(seconds.one);
      if (seconds.slurm) metrics.slurm_over_one = median(seconds.slurm) / median(seconds.one);
      return {
        metrics,
        ratios: [{
          name: "four_local_shards_over_one",
          value: median(seconds.four) / median(seconds.one),
          max: 1.1,
        }],
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
};
