/**
 * The smoke pipeline on a real Slurm cluster: every sharded stage as a job
 * array of 3 tasks gives the local run's tables (every catalog view, EXCEPT
 * both ways), and a warm rerun submits nothing. Needs a running cluster
 * (`tests/slurm/cluster.sh up`, as .ci/run does); skipped without one.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { differingViews, executedNodes, runCli, tempDir } from "./helpers.ts";
import { clusterIsUp } from "../engine/slurm.ts";

const hasSlurm = await clusterIsUp();
if (!hasSlurm) {
  console.error(
    "slurm_smoke_test: no running Slurm cluster (sinfo); skipped. " +
      "Run `tests/slurm/cluster.sh up` (as root) to run it.",
  );
}

Deno.test({
  name: "smoke run on Slurm (3-task arrays) equals the local run, table for table",
  ignore: !hasSlurm,
  async fn() {
    const [local, cluster] = [await tempDir(), await tempDir()];
    try {
      const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
      const config = join(cluster, "smoke-slurm.json");
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          ...smoke,
          executor: { kind: "slurm", shards: 3, cpusPerTask: 1, pollSeconds: 1 },
        }),
      );
      const a = await runCli(["reproduce", "--config", "configs/smoke.json", "--store", local]);
      assertEquals(a.code, 0, a.stderr);
      const b = await runCli(["reproduce", "--config", config, "--store", cluster, "--json"]);
      assertEquals(b.code, 0, b.stderr);
      assert(/iou-val: submitted shard\(s\) 0-2 of 3 as Slurm job \d+/.test(b.stderr), b.stderr);
      const { compared, differing } = await differingViews(local, cluster);
      assert(compared > 40, `only ${compared} views`);
      assertEquals(differing, []);
      const warm = await runCli(["reproduce", "--config", config, "--store", cluster, "--json"]);
      assertEquals(warm.code, 0, warm.stderr);
      assertEquals(executedNodes(warm.stdout), []);
      assert(!warm.stderr.includes("submitted"), warm.stderr);
    } finally {
      // Smoke stores are hundreds of MB each: not left behind in /tmp.
      for (const dir of [local, cluster]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});
