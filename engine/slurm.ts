/**
 * The Slurm executor: a sharded stage becomes one `sbatch --array` job whose
 * tasks each run `dissect shard` in the coordinator's working directory,
 * writing a partial into the store's tmp/ (so the store must be on a file
 * system every node sees). The coordinator looks at the queue with
 * `squeue` at growing intervals (never a busy loop), counts a task done
 * when its partial is stamped, resubmits a failed or preempted one up to
 * `retries` times, and cancels its jobs when it stops. Job names carry the
 * store's id, so a later coordinator of the same store finds jobs a killed
 * one left behind.
 */
import { join, resolve } from "node:path";
import type { z } from "zod";
import { DissectError } from "./errors.ts";
import { hashJson } from "./hash.ts";
import type { Executor, ExecutorIo, ShardJob, SlurmExecutorConfig } from "./executor.ts";
import { partIsDone, refusalOf } from "./shard.ts";

/** The states in which a task is still the cluster's business; any other means it has ended. */
const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SUSPENDED",
  "STOPPED",
  "SIGNALING",
  "STAGE_OUT",
]);

/** How long a task that left the queue may take to show its partial (file system caches). */
const GRACE_MS = 5000;
/** Looks at the queue that may fail in a row (a controller timing out) before the stage fails. */
const MAX_FAILED_LOOKS = 10;

/**
 * The prefix of every job name of one store: "dissect-" and 10 hex digits of
 * its real path, so a store reached through a link is the same store.
 */
export async function jobPrefix(storeRoot: string): Promise<string> {
  const real = await Deno.realPath(storeRoot).catch(() => resolve(storeRoot));
  return `dissect-${(await hashJson({ store: real })).slice(0, 10)}-`;
}

/** Whether a Slurm cluster answers here with a node ready for work (the tests and the benchmark ask). */
export async function clusterIsUp(): Promise<boolean> {
  const out = await new Deno.Command("sinfo", { args: ["-h", "-o", "%t"] }).output()
    .catch(() => null);
  return !!out?.success && /idle|mix|alloc/.test(new TextDecoder().decode(out.stdout));
}

/** Runs a Slurm command; its stdout, or a one-line error naming the command and what it said. */
export async function slurm(cmd: string, args: string[], input?: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    const child = new Deno.Command(cmd, {
      args,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (input !== undefined) {
      const w = child.stdin.getWriter();
      // A command that refuses its options exits before reading: what it said is in its output.
      await w.write(new TextEncoder().encode(input)).then(() => w.close()).catch((e) => {
        if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
      });
    }
    out = await child.output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DissectError(
        "CONFIG",
        `executor.kind is "slurm" but ${cmd} is not on PATH`,
        "run on a Slurm login node, or use the local executor",
      );
    }
    throw e;
  }
  const text = new TextDecoder();
  if (!out.success) {
    // The command's own complaint ("/usr/bin/sbatch: unrecognized option ..."), not the usage
    // hint after it, and without the path it was run by.
    const lines = text.decode(out.stderr).trim().split("\n");
    const own = new RegExp(`^(\\S*/)?${cmd}:`);
    const said = (lines.find((l) => own.test(l)) ?? lines.at(-1) ?? "").replace(/^\S*\//, "");
    throw new SlurmCommandError(`${cmd} ${args.join(" ")} failed: ${said}`, said);
  }
  return text.decode(out.stdout);
}

/** A Slurm command that exited non-zero, with what it said (its own line of stderr). */
export class SlurmCommandError extends Error {
  constructor(message: string, readonly said: string) {
    super(message);
  }
}

/** Task states of array jobs (`squeue -r`), by "jobid_index"; a job no longer known has none. */
async function taskStates(jobs: Iterable<string>): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (const job of jobs) {
    let out: string;
    try {
      out = await slurm("squeue", ["-h", "-r", "--states=all", "-j", job, "-o", "%i %T"]);
    } catch (e) {
      if (e instanceof SlurmCommandError && /invalid job id/i.test(e.said)) continue;
      throw e;
    }
    for (const line of out.split("\n")) {
      const [id, state] = line.trim().split(/\s+/);
      if (id && state) states.set(id, state.replace(/\+$/, ""));
    }
  }
  return states;
}

/** Cancels the jobs of a store that a killed coordinator left; returns how many it found. */
export async function cancelOrphans(storeRoot: string): Promise<number> {
  return await cancelByPrefix(await jobPrefix(storeRoot));
}

/** Cancels the jobs whose names start with `prefix`; returns how many. */
async function cancelByPrefix(prefix: string): Promise<number> {
  const out = await slurm("squeue", ["-h", "-o", "%A %j"]);
  const ids = new Set<string>();
  for (const line of out.split("\n")) {
    const [id, name] = line.trim().split(/\s+/);
    if (id && name?.startsWith(prefix)) ids.add(id);
  }
  if (ids.size) await slurm("scancel", [...ids]);
  return ids.size;
}

/** Array indices for sbatch --array, runs of consecutive ones as ranges ("0-15,17"). */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b), parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Quotes a word for bash. */
function shellWord(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** What a shard's batch script runs: the program and its arguments before the shard's "<i>/<n>". */
export interface ShardCommand {
  /** The working directory the coordinator runs in (config paths are relative to it). */
  cwd: string;
  /** argv of `dissect shard NODE KEY` for a job; the script appends "<index>/<count>" and the rest. */
  argv(job: ShardJob): { head: string[]; tail: string[] };
}

/** Runs each sharded stage as a Slurm job array (see the module's comment). */
export class SlurmExecutor implements Executor {
  readonly kind = "slurm";
  readonly shards: number;
  readonly #config: z.infer<typeof SlurmExecutorConfig>;
  readonly #command: ShardCommand;
  readonly #prefix: string;
  readonly #logsDir: string;
  /** Array jobs in flight, to cancel when the coordinator stops. */
  readonly #live = new Set<string>();

  /**
   * `prefix` starts every job name (the store's, see jobPrefix); `logsDir`
   * keeps the logs of shards that failed their stage.
   */
  constructor(
    config: z.infer<typeof SlurmExecutorConfig>,
    prefix: string,
    logsDir: string,
    command: ShardCommand,
  ) {
    this.#logsDir = logsDir;
    this.#config = config;
    this.shards = config.shards;
    this.#prefix = prefix;
    this.#command = command;
  }

  /**
   * The sbatch options of a job: its name and log, then the config's. They go
   * on sbatch's command line, one argument each, so a path with a space or a
   * quote stays one option (an #SBATCH line would split it).
   */
  options(job: { node: string; key: string; jobDir: string }): string[] {
    return [
      `--job-name=${this.#prefix}${job.node}-${job.key.slice(0, 8)}`,
      `--output=${join(job.jobDir, "logs", "shard-%a-job-%A.log")}`,
      ...this.#resources(),
    ];
  }

  /** The config's requests of the cluster (partition, account, time, ...), as sbatch options. */
  #resources(): string[] {
    const c = this.#config;
    return [
      ...(c.partition ? [`--partition=${c.partition}`] : []),
      ...(c.account ? [`--account=${c.account}`] : []),
      ...(c.time ? [`--time=${c.time}`] : []),
      ...(c.cpusPerTask ? [`--cpus-per-task=${c.cpusPerTask}`] : []),
      ...(c.mem ? [`--mem=${c.mem}`] : []),
      ...(c.gres ? [`--gres=${c.gres}`] : []),
      ...c.extra,
    ];
  }

  /**
   * Asks sbatch whether it would take jobs with the config's options
   * (`--test-only`: nothing is submitted), so that a wrong partition or time
   * is a one-line error before anything runs, not at the first sharded stage.
   */
  async check(): Promise<void> {
    try {
      await slurm(
        "sbatch",
        [
          "--test-only",
          `--job-name=${this.#prefix}check`,
          "--output=/dev/null",
          ...this.#resources(),
        ],
        "#!/bin/bash\ntrue\n",
      );
    } catch (e) {
      if (!(e instanceof SlurmCommandError)) throw e;
      throw new DissectError(
        "CONFIG",
        `sbatch refuses jobs with the executor's options: ${e.said}`,
        "check the executor's partition, account, time, mem, gres and extra",
      );
    }
  }

  /** The batch script of a job: the shard command for SLURM_ARRAY_TASK_ID. */
  script(job: ShardJob): string {
    const count = job.stamps.length;
    const { head, tail } = this.#command.argv(job);
    return [
      "#!/bin/bash",
      "set -euo pipefail",
      `cd ${shellWord(this.#command.cwd)}`,
      `exec ${head.map(shellWord).join(" ")} "$SLURM_ARRAY_TASK_ID/${count}" ${
        tail.map(shellWord).join(" ")
      }`,
      "",
    ].join("\n");
  }

  async #submit(job: ShardJob, indices: number[]): Promise<string> {
    await Deno.mkdir(join(job.jobDir, "logs"), { recursive: true });
    let out: string;
    try {
      out = await slurm(
        "sbatch",
        ["--parsable", `--array=${arraySpec(indices)}`, ...this.options(job)],
        this.script(job),
      );
    } catch (e) {
      if (!(e instanceof SlurmCommandError)) throw e;
      throw new DissectError(
        "CONFIG",
        `sbatch refused the shards of ${job.node}: ${e.said}`,
        "check the executor's partition, account, time, mem and gres, and that shards " +
          "stays under the cluster's MaxArraySize (scontrol show config)",
      );
    }
    const id = out.trim().split(";")[0];
    if (!/^\d+$/.test(id)) throw new Error(`sbatch answered "${out.trim()}", not a job id`);
    this.#live.add(id);
    return id;
  }

  async run(job: ShardJob, io: ExecutorIo): Promise<void> {
    const n = job.stamps.length;
    const attempts = new Array<number>(n).fill(0);
    const jobOf = new Map<number, string>(); // index -> the array job its latest attempt is in
    const goneSince = new Map<number, number>();
    const todo = new Set<number>();
    for (const s of job.stamps) {
      if (!(await partIsDone(job.jobDir, s))) todo.add(s.index);
    }
    const bar = io.progress(`${n} shard(s) on Slurm`, n);
    bar.tick(n - todo.size);
    const submit = async (indices: number[]) => {
      const id = await this.#submit(job, indices);
      for (const i of indices) jobOf.set(i, id);
      io.log(`  ${job.node}: submitted shard(s) ${arraySpec(indices)} of ${n} as Slurm job ${id}`);
    };
    try {
      if (todo.size) await submit([...todo]);
      let delay = Math.min(500, this.#config.pollSeconds * 1000);
      let failedLooks = 0;
      while (todo.size) {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.#config.pollSeconds * 1000);
        let states: Map<string, string>;
        try {
          states = await taskStates(new Set(todo.values().map((i) => jobOf.get(i)!)));
          failedLooks = 0;
        } catch (e) {
          // A busy controller times out now and then: look again, up to a point.
          if (!(e instanceof SlurmCommandError) || ++failedLooks > MAX_FAILED_LOOKS) throw e;
          if (failedLooks === 1) io.log(`  ${job.node}: ${e.message}; looking again`);
          continue;
        }
        const again: number[] = [];
        for (const i of [...todo]) {
          const task = `${jobOf.get(i)}_${i}`;
          const state = states.get(task);
          if (state && ACTIVE.has(state)) continue;
          if (await partIsDone(job.jobDir, job.stamps[i])) {
            todo.delete(i);
            bar.tick();
            continue;
          }
          // Ended without a partial: failed, cancelled, preempted or out of time.
          const since = goneSince.get(i) ?? Date.now();
          goneSince.set(i, since);
          if (Date.now() - since < GRACE_MS) continue;
          goneSince.delete(i);
          attempts[i]++;
          const log = await this.#logOf(job, i, jobOf.get(i)!);
          const refused = await refusalOf(job.jobDir, i);
          if (refused) throw new DissectError("PIPELINE", refused, "run reproduce again");
          if (attempts[i] > this.#config.retries) {
            throw new DissectError(
              "PIPELINE",
              `shard ${i} (of 0-${n - 1}) of ${job.node} failed ${attempts[i]} time(s) on Slurm ` +
                `(task ${task}, ${state ?? "no longer in the queue"}); log: ${log.path}`,
              log.tail,
            );
          }
          io.log(
            `  ${job.node}: shard ${i} (of 0-${n - 1}) ended ${state ?? "without a result"}; ` +
              `resubmitting (${attempts[i]} of ${this.#config.retries})`,
          );
          again.push(i);
        }
        if (again.length) await submit(again);
      }
      bar.done();
    } finally {
      // Whatever is left of this job (the others of a failed stage) is cancelled.
      const left = new Set(jobOf.values());
      for (const id of left) this.#live.delete(id);
      if (todo.size) await slurm("scancel", [...left]).catch(() => {});
    }
  }

  /**
   * A failed shard's log, copied where it outlives the job's folder (the
   * store's logs/), and its last lines; or why there is none (the store not shared).
   */
  async #logOf(
    job: ShardJob,
    index: number,
    jobId: string,
  ): Promise<{ path: string; tail: string }> {
    const name = `shard-${index}-job-${jobId}.log`;
    let text: string;
    try {
      text = await Deno.readTextFile(join(job.jobDir, "logs", name));
    } catch {
      return {
        path: join(job.jobDir, "logs", name),
        tail: "the task left no log: the store must be on a file system every node sees, " +
          "and the node must be able to run the coordinator's deno",
      };
    }
    const path = join(this.#logsDir, `${job.node}-${job.key.slice(0, 12)}-${name}`);
    await Deno.mkdir(this.#logsDir, { recursive: true });
    await Deno.writeTextFile(path, text);
    const lines = text.trimEnd().split("\n");
    return { path, tail: `its last lines:\n${lines.slice(-12).join("\n")}` };
  }

  async cancel(): Promise<void> {
    if (this.#live.size) await slurm("scancel", [...this.#live]).catch(() => {});
    this.#live.clear();
    // A job whose sbatch was under way when the signal came has no id here yet: found by name.
    await cancelByPrefix(this.#prefix).catch(() => {});
  }
}
