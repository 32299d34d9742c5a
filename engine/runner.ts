/**
 * Executes a plan: stale nodes run (independent ones concurrently, bounded),
 * fresh ones are reused. Each run writes into a private temporary folder and
 * is published by rename only after its tables are closed, its declared
 * outputs exist and the files it read are unchanged.
 */
import { join } from "node:path";
import type { Pipeline } from "./dag.ts";
import type { PlannedNode } from "./plan.ts";
import type { Store } from "./store.ts";
import type { AnyStage, ArtifactRef, Round } from "./stage.ts";
import { ProgressBoard, type ProgressOptions } from "./progress.ts";
import { stampOf } from "./file_digest.ts";
import { DissectError, isDissectError, storeError } from "./errors.ts";
import { listFiles } from "./integrity.ts";
import { writeJsonAtomic } from "./fs_atomic.ts";
import { Kept, type OpenContext, openContext } from "./context.ts";
import { type Executor, LocalExecutor, runPart } from "./executor.ts";
import { checkedParts, JOB_FILE, partDir, type PartialStamp, shardRanges } from "./shard.ts";
import type { Manifest, RunRecord } from "../schemas/manifest.ts";

/** How one node ended in a run: executed, cached, skipped or failed, and how long it took. */
export type NodeResult = RunRecord["nodes"][number];

/** What to run and how: selected and forced nodes, concurrency, threads, logging and progress. */
export interface ExecuteOptions {
  /** Node ids to consider; others are left out of the run. */
  selected: Set<string>;
  /** Node ids to rerun even when fresh. */
  force: Set<string>;
  concurrency: number;
  /**
   * The cores the running stages share: a stage gets, when it starts, an
   * equal share of those the stages already running leave (at least one).
   */
  threads: number;
  log: (message: string) => void;
  progress?: ProgressOptions;
  /** Who runs sharded stages' parts (default: this process, in one shard). */
  executor?: Executor;
  /** This run's id: partials are stamped with it, so an earlier run's are never merged. */
  runId?: string;
}

/** Runs the selected stale nodes, each once its inputs are ready, at most `concurrency` at once. */
export async function execute(
  pipeline: Pipeline,
  planned: PlannedNode[],
  store: Store,
  opts: ExecuteOptions,
): Promise<NodeResult[]> {
  opts = withBoard(opts);
  const byId = new Map(planned.map((p) => [p.id, p]));
  const results = new Map<string, NodeResult>();
  const pending = planned.filter((p) => opts.selected.has(p.id)).map((p) => p.id);
  const running = new Map<string, Promise<void>>();
  const threadsOf = new Map<string, number>();

  const inputsDone = (id: string) =>
    Object.values(pipeline.get(id).inputs).every((up) => {
      const r = results.get(up);
      return r && (r.status === "executed" || r.status === "cached");
    });
  const inputFailed = (id: string) =>
    Object.values(pipeline.get(id).inputs).some((up) => {
      const r = results.get(up);
      return r && (r.status === "failed" || r.status === "skipped");
    });

  while (pending.length > 0 || running.size > 0) {
    const ready: string[] = [];
    for (let i = 0; i < pending.length && running.size + ready.length < opts.concurrency;) {
      const id = pending[i];
      if (inputFailed(id)) {
        results.set(id, result(byId.get(id)!, "skipped", 0, "an input failed"));
        pending.splice(i, 1);
      } else if (inputsDone(id)) {
        pending.splice(i, 1);
        ready.push(id);
      } else i++;
    }
    const shares = threadShares(opts.threads, [...threadsOf.values()], ready.length);
    for (const [k, id] of ready.entries()) {
      const threads = shares[k];
      threadsOf.set(id, threads);
      const task = runNode(pipeline, byId.get(id)!, store, { ...opts, threads })
        .then((r) => void results.set(id, r))
        .finally(() => {
          running.delete(id);
          threadsOf.delete(id);
        });
      running.set(id, task);
    }
    if (running.size === 0 && pending.length > 0) {
      // The selection is closed under inputs, so something is always runnable.
      throw new Error(`internal: no runnable stage among ${pending.join(", ")}`);
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  return planned.filter((p) => results.has(p.id)).map((p) => results.get(p.id)!);
}

/**
 * The threads of `starting` stages given `cores` and the threads of the
 * stages already running: a stage alone gets every core, stages starting
 * together split what is free, and none gets fewer than one.
 */
export function threadShares(
  cores: number,
  running: readonly number[],
  starting: number,
): number[] {
  let free = cores - running.reduce((a, b) => a + b, 0);
  return Array.from({ length: starting }, (_, k) => {
    const share = Math.max(1, Math.floor(free / (starting - k)));
    free -= share;
    return share;
  });
}

function result(
  p: PlannedNode,
  status: NodeResult["status"],
  durationMs: number,
  error?: string,
): NodeResult {
  return { node: p.id, stage: p.stage, key: p.key, status, durationMs, error };
}

/**
 * On a terminal, the stages running at once share one progress block (a line
 * each), and log lines go above it; off a terminal nothing changes.
 */
function withBoard(opts: ExecuteOptions): ExecuteOptions {
  const p = opts.progress ?? {};
  if (p.quiet || p.board || !(p.tty ?? Deno.stderr.isTerminal())) return opts;
  const encoder = new TextEncoder();
  const board = new ProgressBoard(p.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t))));
  const log = opts.log;
  return { ...opts, progress: { ...p, board }, log: (m) => board.above(() => log(m)) };
}

async function runNode(
  pipeline: Pipeline,
  p: PlannedNode,
  store: Store,
  opts: ExecuteOptions,
): Promise<NodeResult> {
  const forced = opts.force.has(p.id);
  if (p.fresh && !forced && await store.has(p.stage, p.key)) {
    return result(p, "cached", 0);
  }
  const node = pipeline.get(p.id);
  const started = new Date();
  const t0 = performance.now();
  const why = forced ? "forced" : p.reasons.join("; ");
  opts.log(`> ${p.id} (${p.stage}) ${p.key.slice(0, 12)}: ${why}`);
  let tmp: string | null = null;
  let open: OpenContext | null = null;
  const kept = new Kept();
  try {
    tmp = await store.begin(p.stage, p.key);
    const outDir = tmp;
    // The key holds the files' digests from planning: they must be unchanged now and at the end.
    const stampsBefore = p.fileStamps;
    checkStamps(p, stampsBefore, await stamps(p.filePaths));
    const inputs = await inputRefs(pipeline, p, store);
    const context = { planned: p, stage: node.stage, inputs, threads: opts.threads, kept };
    open = openContext({ ...context, outDir, log: opts.log, progress: opts.progress });
    if (node.stage.shard) await runSharded(open, context, store, opts);
    else await node.stage.run!(open.ctx);
    await kept.close(); // before the run is timed and published: sessions hold memory
    const rows = await open.finish();
    open = null;
    checkStamps(p, stampsBefore, await stamps(p.filePaths));
    const ended = new Date();
    const manifest: Manifest = {
      format: "dissect-artifact/2",
      node: p.id,
      stage: p.stage,
      key: p.key,
      keyParts: p.keyParts,
      inputNodes: node.inputs,
      filePaths: p.filePaths,
      started: started.toISOString(),
      ended: ended.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      tables: rows,
      tools: toolVersions(),
      // Hashed before publishing: what the store will hold is what the stage wrote.
      files: await listFiles(outDir),
    };
    await store.publish(outDir, manifest, forced);
    opts.log(
      `  done ${p.id} in ${(manifest.durationMs / 1000).toFixed(1)}s` +
        (Object.keys(rows).length
          ? ` (${Object.entries(rows).map(([t, n]) => `${t}: ${n} rows`).join(", ")})`
          : ""),
    );
    return result(p, "executed", manifest.durationMs);
  } catch (e) {
    await open?.abort();
    await kept.close();
    if (tmp) await store.discard(tmp);
    const known = isDissectError(e) ? e : storeError(e);
    const message = known ? known.describe() : (e as Error)?.stack ?? String(e);
    opts.log(`  FAILED ${p.id}: ${message}`);
    return {
      ...result(p, "failed", Math.round(performance.now() - t0), message),
      code: known?.code,
    };
  }
}

/** A planned node's inputs as published artifacts of the store. */
export async function inputRefs(
  pipeline: Pipeline,
  p: PlannedNode,
  store: Store,
): Promise<Record<string, ArtifactRef>> {
  const inputs: Record<string, ArtifactRef> = {};
  for (const [slot, up] of Object.entries(pipeline.get(p.id).inputs)) {
    inputs[slot] = await store.ref(pipeline.get(up).stage.name, p.keyParts.inputs[slot], up);
  }
  return inputs;
}

/**
 * A sharded stage: count its items, split them, have the executor run the
 * parts into the store's tmp/, check each partial's stamp and merge them in
 * shard order into the stage's own folder, round after round (a multi-pass
 * stage's merge hands the next round its state). The partials go either way.
 */
async function runSharded(
  open: OpenContext,
  context: {
    planned: PlannedNode;
    stage: AnyStage;
    inputs: Record<string, ArtifactRef>;
    threads: number;
    kept: Kept;
  },
  store: Store,
  opts: ExecuteOptions,
): Promise<void> {
  const { planned: p, stage } = context;
  const sharding = stage.shard!;
  const executor = opts.executor ?? new LocalExecutor();
  const runId = opts.runId ?? `${Date.now()}-${Deno.pid}`;
  const ranges = shardRanges(await sharding.items(open.ctx), executor.shards);
  const rounds = (await sharding.rounds?.(open.ctx)) ?? 1;
  if (ranges.length > 1) {
    opts.log(
      `  ${p.id}: ${ranges.at(-1)!.end} items in ${ranges.length} shards (${executor.kind})` +
        (rounds > 1 ? `, ${rounds} rounds` : ""),
    );
  }
  let state: unknown = null;
  for (let index = 0; index < rounds; index++) {
    const round: Round = { index, count: rounds, state };
    // Named by node: two nodes of one key may run at once.
    const jobDir = join(
      store.tmpRoot,
      `shards-${p.id}-${p.key.slice(0, 12)}-${runId}` + (rounds > 1 ? `-r${index}` : ""),
    );
    const stamps: PartialStamp[] = ranges.map((r, i) => ({
      format: "dissect-partial/1",
      stage: p.stage,
      key: p.key,
      run: runId,
      round: index,
      index: i,
      count: ranges.length,
      start: r.start,
      end: r.end,
    }));
    await Deno.mkdir(jobDir, { recursive: true });
    // What a shard started elsewhere (`dissect shard`) reads: its range, stamp and round.
    await writeJsonAtomic(join(jobDir, JOB_FILE), { node: p.id, stamps, round });
    try {
      await executor.run({
        node: p.id,
        stage: p.stage,
        key: p.key,
        jobDir,
        stamps,
        runHere: (i) =>
          runPart({
            ...context,
            jobDir,
            dir: partDir(jobDir, i),
            stamp: stamps[i],
            round,
            log: opts.log,
            progress: opts.progress,
          }),
      }, { log: opts.log, progress: open.ctx.progress });
      // As JSON, as a cluster node reads it: the same state whichever executor runs the next round.
      const merged = await sharding.merge(open.ctx, await checkedParts(jobDir, stamps), round);
      state = JSON.parse(JSON.stringify(merged ?? null));
    } finally {
      await Deno.remove(jobDir, { recursive: true }).catch(() => {});
    }
  }
}

function checkStamps(p: PlannedNode, before: Record<string, string>, now: Record<string, string>) {
  for (const [slot, stamp] of Object.entries(before)) {
    if (now[slot] !== stamp) {
      throw new DissectError(
        "INPUT_CHANGED",
        `${p.filePaths[slot]} (file "${slot}" of ${p.id}) changed since it was digested; ` +
          `the result was not recorded`,
        "run again once the file is stable",
      );
    }
  }
}

async function stamps(paths: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [slot, path] of Object.entries(paths)) out[slot] = await stampOf(path);
  return out;
}

/** The versions of the tools a manifest records (Deno, V8, TypeScript). */
export function toolVersions(): Record<string, string> {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: `${Deno.build.os}-${Deno.build.arch}`,
  };
}
