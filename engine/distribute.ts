/**
 * Running beyond this process: the executor a run configuration asks for,
 * cancelling its cluster jobs when the coordinator is stopped, and the
 * `shard` command a cluster node runs for one part of a sharded stage.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { openSession, type SessionOptions } from "./session.ts";
import { plan } from "./plan.ts";
import { inputRefs } from "./runner.ts";
import { type Executor, ExecutorConfig, LocalExecutor, runPart } from "./executor.ts";
import { Kept } from "./context.ts";
import { cancelOrphans, jobPrefix, SlurmExecutor } from "./slurm.ts";
import { JOB_FILE, partDir, PartialStamp, writeRefusal } from "./shard.ts";
import { DissectError } from "./errors.ts";
import { exists } from "./fs_atomic.ts";
import { PROJECT_ROOT } from "./paths.ts";

/** A file in the store's root saying its jobs may be on a Slurm cluster (for later local runs). */
const SLURM_MARK = "slurm-jobs";

/**
 * The executor of a run. For Slurm it first cancels the jobs a killed
 * coordinator of this store left (the caller holds the store's lock, so no
 * live coordinator owns them) and checks the store can be seen by every node.
 */
export async function executorFor(
  config: ExecutorConfig | undefined,
  session: SessionOptions & { storeRoot: string; logsDir: string },
  log: (message: string) => void,
): Promise<Executor> {
  const slurm = config?.kind === "slurm";
  const mark = join(session.storeRoot, SLURM_MARK);
  if (slurm) await checkShared(session.storeRoot);
  await cancelLeftJobs(session.storeRoot, slurm, log);
  if (!slurm) return new LocalExecutor(config);
  await Deno.writeTextFile(mark, "this store has had jobs on Slurm\n");
  const sets = (session.sets ?? []).flatMap((s) => ["--set", s]);
  const executor = new SlurmExecutor(config, await jobPrefix(session.storeRoot), session.logsDir, {
    cwd: Deno.cwd(),
    argv: (job) => ({
      head: [Deno.execPath(), "run", "-A", join(PROJECT_ROOT, "dissect.ts"), "shard", job.node],
      tail: [
        "--key",
        job.key,
        "--job-dir",
        job.jobDir,
        "--store",
        session.storeRoot,
        ...(session.configPath ? ["--config", resolve(session.configPath)] : []),
        ...(session.pipelineModule ? ["--pipeline", resolve(session.pipelineModule)] : []),
        ...sets,
      ],
    }),
  });
  await executor.check();
  return executor;
}

/**
 * Cancels the Slurm jobs a killed coordinator of this store left, before
 * tmp/ is cleaned (they would write into it): always for a Slurm run (an
 * error stops it), and for a local run or gc of a store that has had jobs on
 * Slurm (there, a cluster that cannot be asked is only logged).
 */
export async function cancelLeftJobs(
  storeRoot: string,
  slurm: boolean,
  log: (message: string) => void,
): Promise<void> {
  if (!slurm && !await exists(join(storeRoot, SLURM_MARK))) return;
  const orphans = await cancelOrphans(storeRoot).catch((e) => {
    if (slurm) throw e;
    const why = /(\w+) is not on PATH/.exec((e as Error).message);
    log(
      "this store has had jobs on Slurm, but jobs a killed run may have left could not be " +
        `looked for: ${why ? `${why[1]} is not on PATH here` : (e as Error).message}`,
    );
    return 0;
  });
  if (orphans) log(`cancelled ${orphans} Slurm job(s) left by an earlier run of this store`);
}

/**
 * A store on a node-local file system (tmpfs) cannot be shared by a cluster
 * of more than one node: refused at the start instead of after the first
 * array has run nowhere.
 */
async function checkShared(storeRoot: string): Promise<void> {
  const fsType = async () => {
    const out = await new Deno.Command("stat", { args: ["-f", "-c", "%T", storeRoot] }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  const nodes = async () => {
    const out = await new Deno.Command("sinfo", { args: ["-h", "-N", "-o", "%N"] }).output()
      .catch(() => null);
    return new Set(new TextDecoder().decode(out?.stdout ?? new Uint8Array()).split(/\s+/))
      .size - 1;
  };
  const type = await fsType().catch(() => "");
  if (/^(tmpfs|ramfs)$/.test(type) && (await nodes()) > 1) {
    throw new DissectError(
      "CONFIG",
      `the store ${storeRoot} is on ${type}, which the cluster's other nodes cannot see`,
      "put the store (--store) on a file system every node mounts",
    );
  }
}

/**
 * Runs `fn` with SIGINT and SIGTERM cancelling the executor's jobs first:
 * a stopped coordinator leaves nothing in the queue.
 */
export async function cancelOnSignal<T>(
  executor: Executor,
  log: (message: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  if (executor.kind === "local") return await fn();
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => {
      log(`${signal}: cancelling this run's Slurm jobs`);
      executor.cancel().finally(() => Deno.exit(signal === "SIGINT" ? 130 : 143));
    };
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  });
  try {
    return await fn();
  } finally {
    for (const remove of handlers) remove();
  }
}

/** What `dissect shard` takes: the session (as the coordinator had it), the node, its key, the job and the shard. */
export interface ShardOptions extends SessionOptions {
  node: string;
  key: string;
  jobDir: string;
  index: number;
  count: number;
}

const JobFile = z.object({
  node: z.string(),
  stamps: z.array(PartialStamp),
  round: z.object({ index: z.int(), count: z.int(), state: z.unknown() }),
});

/**
 * One shard of a sharded stage, as a cluster node runs it: plans the same
 * session, refuses if the node's key is no longer the one submitted (code,
 * config or files changed meanwhile), and runs the part into its partial.
 * It takes no lock: the coordinator holds the store's.
 */
export async function runShard(opts: ShardOptions): Promise<void> {
  const session = await openSession(opts);
  const planned = (await plan(session)).find((p) => p.id === opts.node);
  if (!planned) {
    throw new DissectError("PIPELINE", `shard: the pipeline has no node "${opts.node}"`);
  }
  if (planned.key !== opts.key) {
    const why = `shard of ${opts.node}: its key is now ${planned.key.slice(0, 12)}, not the ` +
      `submitted ${
        opts.key.slice(0, 12)
      }: code, config or files changed since; nothing was written`;
    await writeRefusal(opts.jobDir, opts.index, why).catch(() => {});
    throw new DissectError("PIPELINE", why, "run reproduce again: the stage is planned anew");
  }
  let job: z.infer<typeof JobFile>;
  try {
    job = JobFile.parse(JSON.parse(await Deno.readTextFile(join(opts.jobDir, JOB_FILE))));
  } catch (e) {
    throw new DissectError(
      "PIPELINE",
      `shard of ${opts.node}: cannot read ${join(opts.jobDir, JOB_FILE)} ` +
        `(${(e as Error).message.split("\n")[0]})`,
      "the store must be on a file system this node sees",
    );
  }
  const stamp = job.stamps[opts.index];
  if (
    job.node !== opts.node || job.stamps.length !== opts.count || !stamp ||
    stamp.key !== opts.key
  ) {
    throw new DissectError(
      "PIPELINE",
      `shard ${opts.index}/${opts.count} of ${opts.node} does not match its job ` +
        `(${job.node}, ${job.stamps.length} shards)`,
    );
  }
  // Slurm allots a task one core unless cpusPerTask asked for more.
  const cpus = Number(
    Deno.env.get("SLURM_CPUS_PER_TASK") ?? (Deno.env.get("SLURM_JOB_ID") ? 1 : NaN),
  );
  const kept = new Kept();
  try {
    await runPart({
      planned,
      stage: session.pipeline.get(opts.node).stage,
      inputs: await inputRefs(session.pipeline, planned, session.store),
      jobDir: opts.jobDir,
      dir: partDir(opts.jobDir, opts.index),
      stamp,
      round: { ...job.round, state: job.round.state ?? null },
      threads: Number.isInteger(cpus) && cpus > 0 ? cpus : availableParallelism(),
      log: (m) => console.error(m),
      kept,
    });
  } finally {
    await kept.close();
  }
}
