/**
 * Executors: who runs a sharded stage's parts. `local` runs them one after
 * another in this process; `slurm` (engine/slurm.ts) submits them as a job
 * array. Both take the same job and leave the same finished partials, so
 * the merge, and with it every key and table, is the same whichever ran
 * them. The executor is not part of any key.
 */
import { join } from "node:path";
import { z } from "zod";
import type { AnyStage, ArtifactRef, Round } from "./stage.ts";
import type { Progress, ProgressOptions } from "./progress.ts";
import type { PlannedNode } from "./plan.ts";
import { type Kept, openContext } from "./context.ts";
import { type PartialStamp, writeStamp } from "./shard.ts";
import { DissectError } from "./errors.ts";

/** The local executor: shards run in this process, one after another. */
export const LocalExecutorConfig = z.strictObject({
  kind: z.literal("local"),
  /** Shards a sharded stage is split into (1: the stage's loop in one piece). */
  shards: z.int().min(1).max(10_000).default(1),
  /** Times a failed shard is run again before the stage fails. */
  retries: z.int().min(0).max(10).default(0),
});

/** A Slurm cluster: each sharded stage is one `sbatch --array` job. */
export const SlurmExecutorConfig = z.strictObject({
  kind: z.literal("slurm"),
  shards: z.int().min(1).max(10_000).default(16),
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  /** Wall time per shard, as sbatch takes it ("01:00:00"). */
  time: z.string().min(1).optional(),
  /** Cores per shard; a shard computes on this many threads. */
  cpusPerTask: z.int().min(1).optional(),
  /** Memory per shard, as sbatch takes it ("16G"). */
  mem: z.string().min(1).optional(),
  /** Generic resources per shard: "gpu:1" asks for a GPU. */
  gres: z.string().min(1).optional(),
  /** Further sbatch options, passed as given ("--qos=long"). */
  extra: z.array(z.string().min(1)).default([]),
  /** Times a failed or preempted shard is resubmitted before the stage fails. */
  retries: z.int().min(0).max(10).default(2),
  /** Longest wait between two looks at the queue, in seconds. */
  pollSeconds: z.number().min(0.1).max(600).default(10),
});

/** Where sharded stages run: `{ "kind": "local" }` (the default) or a Slurm cluster. */
export const ExecutorConfig = z.discriminatedUnion("kind", [
  LocalExecutorConfig,
  SlurmExecutorConfig,
]);
/** A validated executor configuration. */
export type ExecutorConfig = z.infer<typeof ExecutorConfig>;

/** One sharded stage run: where its partials go, what each must be stamped with, and how to run one here. */
export interface ShardJob {
  node: string;
  stage: string;
  key: string;
  /** Folder of the job's partials and logs, under the store's tmp/. */
  jobDir: string;
  /** One per shard, in shard order. */
  stamps: PartialStamp[];
  /** Runs shard `index` in this process. */
  runHere(index: number): Promise<void>;
}

/** What an executor may show while it works. */
export interface ExecutorIo {
  log(message: string): void;
  progress(label: string, total: number): Progress;
}

/** Runs the shards of a job; resolves once each has a finished partial, or throws naming the shard that failed. */
export interface Executor {
  readonly kind: ExecutorConfig["kind"];
  /** Shards a sharded stage is split into. */
  readonly shards: number;
  run(job: ShardJob, io: ExecutorIo): Promise<void>;
  /** Stops whatever is still in flight (Ctrl-C, SIGTERM). */
  cancel(): Promise<void>;
}

/** Runs shards in this process, one after another, each with the stage's threads. */
export class LocalExecutor implements Executor {
  readonly kind = "local";
  readonly shards: number;
  readonly #retries: number;

  constructor(config: { shards?: number; retries?: number } = {}) {
    this.shards = config.shards ?? 1;
    this.#retries = config.retries ?? 0;
  }

  async run(job: ShardJob, io: ExecutorIo): Promise<void> {
    for (const stamp of job.stamps) {
      for (let attempt = 0;; attempt++) {
        try {
          await job.runHere(stamp.index);
          break;
        } catch (e) {
          if (attempt >= this.#retries) throw e;
          io.log(
            `  ${job.node}: shard ${stamp.index} (of 0-${stamp.count - 1}) failed ` +
              `(${(e as Error)?.message ?? e}); running it again`,
          );
        }
      }
    }
  }

  cancel(): Promise<void> {
    return Promise.resolve(); // nothing runs outside this process
  }
}

/**
 * Tests only: `DISSECT_TEST_FAULT=<node>:<index>:<times>` fails that shard's
 * first `times` attempts ("always" for every one), counted by marker files
 * in the job's folder so attempts in other processes count too.
 */
async function injectedFault(job: { node: string; jobDir: string }, index: number) {
  const spec = Deno.env.get("DISSECT_TEST_FAULT");
  if (!spec) return;
  const [node, at, times] = spec.split(":");
  if (node !== job.node || Number(at) !== index) return;
  const marker = (k: number) => join(job.jobDir, `fault-${index}-${k}`);
  let k = 0;
  while (await Deno.stat(marker(k)).then(() => true, () => false)) k++;
  if (times !== "always" && k >= Number(times)) return;
  await Deno.writeTextFile(marker(k), "");
  throw new DissectError("PIPELINE", `shard ${index} of ${node}: injected fault ${k + 1} (a test)`);
}

/**
 * Runs one shard of a node into its partial folder and stamps it finished:
 * the same code whether the local executor calls it or a cluster node's
 * `dissect shard` does. An old folder of the same shard is replaced.
 */
export async function runPart(opts: {
  planned: PlannedNode;
  stage: AnyStage;
  inputs: Record<string, ArtifactRef>;
  jobDir: string;
  dir: string;
  stamp: PartialStamp;
  round: Round;
  threads: number;
  kept: Kept;
  log: (message: string) => void;
  progress?: ProgressOptions;
}): Promise<void> {
  await Deno.remove(opts.dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(opts.dir, { recursive: true });
  await injectedFault({ node: opts.planned.id, jobDir: opts.jobDir }, opts.stamp.index);
  const open = openContext({ ...opts, outDir: opts.dir });
  try {
    const range = { start: opts.stamp.start, end: opts.stamp.end };
    await opts.stage.shard!.part(open.ctx, range, opts.round);
    await open.finish(false);
  } catch (e) {
    await open.abort();
    throw e;
  }
  await writeStamp(opts.dir, opts.stamp);
}
