import { assert, assertEquals } from "../tests/assert.ts";
import { arraySpec, SlurmExecutor } from "./slurm.ts";
import { SlurmExecutorConfig } from "./executor.ts";
import type { ShardJob } from "./executor.ts";

const job = (jobDir: string): ShardJob => ({
  node: "iou-val",
  stage: "iou",
  key: "0123456789abcdef".repeat(4),
  jobDir,
  stamps: [0, 1, 2].map((index) => ({
    format: "dissect-partial/1" as const,
    stage: "iou",
    key: "k",
    run: "r",
    round: 0,
    index,
    count: 3,
    start: index,
    end: index + 1,
  })),
  runHere: () => Promise.resolve(),
});

Deno.test("a shard's batch script: every configured sbatch option, the shard command quoted for bash", async () => {
  const config = SlurmExecutorConfig.parse({
    kind: "slurm",
    partition: "gpu",
    account: "lab",
    time: "01:00:00",
    cpusPerTask: 8,
    mem: "32G",
    gres: "gpu:1",
    extra: ["--qos=long"],
  });
  const executor = new SlurmExecutor(config, "dissect-abc-", "/logs", {
    cwd: "/home/me/it's here",
    argv: (j) => ({ head: ["/bin/deno", "shard", j.node], tail: ["--key", j.key] }),
  });
  const script = executor.script(job("/shared/my store/tmp/shards/iou-x"));
  // One argument each on sbatch's command line: a path with a space stays whole.
  assertEquals(executor.options(job("/shared/my store/tmp/shards/iou-x")), [
    "--job-name=dissect-abc-iou-val-01234567",
    "--output=/shared/my store/tmp/shards/iou-x/logs/shard-%a-job-%A.log",
    "--partition=gpu",
    "--account=lab",
    "--time=01:00:00",
    "--cpus-per-task=8",
    "--mem=32G",
    "--gres=gpu:1",
    "--qos=long",
  ]);
  assert(!script.includes("#SBATCH"), script);
  assert(script.includes(`cd '/home/me/it'\\''s here'`), script);
  assert(
    script.includes(
      `exec '/bin/deno' 'shard' 'iou-val' "$SLURM_ARRAY_TASK_ID/3" '--key' '${job("").key}'`,
    ),
    script,
  );
  // What bash makes of it: the quoted directory comes back whole.
  const out = await new Deno.Command("bash", {
    args: ["-c", script.split("\n").find((l) => l.startsWith("cd "))!.replace("cd", "printf %s")],
  }).output();
  assertEquals(new TextDecoder().decode(out.stdout), "/home/me/it's here");
});

Deno.test("a minimal Slurm config asks sbatch for nothing but the name and the log", () => {
  const executor = new SlurmExecutor(SlurmExecutorConfig.parse({ kind: "slurm" }), "p-", "/l", {
    cwd: "/",
    argv: () => ({ head: ["x"], tail: [] }),
  });
  assertEquals(executor.options(job("/j")), [
    "--job-name=p-iou-val-01234567",
    "--output=/j/logs/shard-%a-job-%A.log",
  ]);
  assertEquals(SlurmExecutorConfig.parse({ kind: "slurm" }).shards, 16);
});

Deno.test("array indices go to sbatch as ranges", () => {
  assertEquals(arraySpec([0, 1, 2, 3]), "0-3");
  assertEquals(arraySpec([5, 0, 2, 1, 9, 10]), "0-2,5,9-10");
  assertEquals(arraySpec([7]), "7");
});
