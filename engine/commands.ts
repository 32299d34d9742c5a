/**
 * The things a user does with the store: reproduce (plan, run, record,
 * catalog), status (the last run against what would run now), verify (rehash
 * every artifact) and gc. They return data; dissect.ts decides how to print it.
 */
import { availableParallelism } from "node:os";
import { basename, join, relative } from "node:path";
import { openSession, planSession, type Session, type SessionOptions } from "./session.ts";
import { acquireLock } from "./lock.ts";
import { cancelLeftJobs, cancelOnSignal, executorFor } from "./distribute.ts";
import { execute, type NodeResult } from "./runner.ts";
import { rebuildCatalog, UnreadableArtifacts } from "./catalog.ts";
import { diskUsage, exists } from "./fs_atomic.ts";
import { DissectError, isDissectError, storeError } from "./errors.ts";
import { Store } from "./store.ts";
import type { PlannedNode } from "./plan.ts";
import type { ProgressOptions } from "./progress.ts";
import type { RunRecord } from "../schemas/manifest.ts";

/** What `reproduce` takes: the session's options and how to run. */
export interface ReproduceOptions extends SessionOptions {
  /** Run only these nodes and what they need. */
  only?: string[];
  force?: string[];
  dryRun?: boolean;
  wait?: boolean;
  concurrency?: number;
  /** Rehash every file of the artifacts the plan would reuse, before planning on them. */
  verify?: boolean;
  log?: (message: string) => void;
  progress?: ProgressOptions;
}

/** What `reproduce` did: the plan, the run record, each node's result, the report and catalog paths. */
export interface ReproduceResult {
  plan: PlannedNode[];
  /** Absent for --dry-run. With --only it also keeps the other stages' last results. */
  run?: RunRecord;
  /** What this command itself ran or reused. Absent for --dry-run. */
  ran?: NodeResult[];
  /** Stable path of the report's index.html, when the pipeline has a report node. */
  report?: string;
  catalog?: string;
}

/** The node whose artifact holds the HTML report. */
export const REPORT_NODE = "report";

/** Plans the pipeline, runs what is stale under the store's lock, records the run and rebuilds the catalog. */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const session = await openSession(opts);
  const { pipeline, store } = session;
  const force = new Set(opts.force ?? []);
  for (const id of force) pipeline.get(id); // unknown names fail here, by name
  const selected = opts.only?.length
    ? new Set(opts.only.flatMap((id) => [...pipeline.closure(id)]))
    : new Set(pipeline.nodes.keys());
  if (opts.dryRun) {
    const planned = await planSession(session, opts.verify);
    await preflight(session, planned, selected, force);
    // What this command would do: the selected nodes, forced ones stale.
    const shown = planned.filter((p) => selected.has(p.id)).map((p) =>
      force.has(p.id) && p.fresh ? { ...p, fresh: false, reasons: ["forced"] } : p
    );
    return { plan: shown };
  }

  const lock = await acquireLock(store.root, {
    wait: opts.wait,
    command: `reproduce ${session.config.name}`,
    log,
  });
  try {
    // Before tmp/ is cleaned: a killed coordinator's jobs may still be writing there.
    const executor = await executorFor(session.config.executor, {
      ...opts,
      storeRoot: store.root,
      logsDir: store.logsRoot,
    }, log);
    const removed = await store.cleanTmp();
    if (removed) log(`removed ${removed} unfinished run folder(s) left by a killed process`);
    // Taken before any quarantine, so gc keeps what this command moves aside until a later run.
    const started = new Date();
    const runId = `${started.toISOString().replaceAll(/[:.]/g, "-")}-${Deno.pid}`;
    const moved = new Set<string>();
    const quarantine = async (node: string, stage: string, key: string, reason: string) => {
      if (moved.has(`${stage}/${key}`)) return; // two nodes of one key share one artifact
      moved.add(`${stage}/${key}`);
      const dest = await store.quarantine(stage, key, reason);
      log(`damaged: ${node} (${stage}/${key.slice(0, 12)}): ${reason}; moved to ${dest}`);
    };
    // A table the catalog cannot open is damaged too: moved aside, then planned and run again, once.
    for (let attempt = 0;; attempt++) {
      const planned = await planSession(session, opts.verify);
      if (attempt === 0) await preflight(session, planned, selected, force);
      await settleDamage(session, planned, {
        selected,
        force,
        moved,
        quarantine,
        checked: new Set(),
        rehashInputs: !opts.verify, // --verify has rehashed everything already
      });
      const concurrency = opts.concurrency ?? defaultConcurrency(executor.kind);
      const results = await cancelOnSignal(executor, log, () =>
        execute(pipeline, planned, store, {
          selected,
          force,
          concurrency,
          // Concurrent stages share the cores instead of oversubscribing them.
          threads: Math.max(1, availableParallelism()),
          log,
          progress: opts.progress,
          executor,
          runId,
        }));
      const record: RunRecord = {
        format: "dissect-run/1",
        runId,
        config: session.config.name,
        started: started.toISOString(),
        ended: new Date().toISOString(),
        ok: results.every((r) => r.status === "executed" || r.status === "cached"),
        // Nodes left out by --only keep their last result, so the latest run
        // still names every artifact of the config (gc roots, catalog views).
        nodes: [
          ...results,
          ...(session.previous?.nodes ?? []).filter((n) =>
            !selected.has(n.node) && pipeline.nodes.has(n.node)
          ),
        ],
      };
      // Recorded as failed until the whole command has succeeded: a crash leaves no "ok".
      await store.writeRun({ ...record, ok: false, error: "the command did not finish" });
      try {
        await rebuildCatalog(store, record);
        const report = await linkReport(store.root, results);
        await store.writeRun(record);
        return { plan: planned, run: record, ran: results, report, catalog: store.catalogPath };
      } catch (e) {
        if (e instanceof UnreadableArtifacts && attempt === 0) {
          for (const a of e.artifacts) await quarantine(a.node, a.stage, a.key, a.reason);
          continue;
        }
        const failure = isDissectError(e) ? e : storeError(e) ??
          new DissectError("STORE", `the catalog could not be built: ${(e as Error).message}`);
        await store.writeRun({ ...record, ok: false, error: failure.message }).catch(() => {});
        throw failure;
      }
    }
  } finally {
    lock.release();
  }
}

/**
 * Until nothing changes: a damaged artifact is moved aside and its node (and
 * what it needs) selected, to be rebuilt even when --only leaves it out; so
 * is a node --only leaves out whose last artifact is gone, since the record
 * must not name it; and the reused artifacts that the nodes about to run read
 * are rehashed, so that damage is traced to its root.
 */
async function settleDamage(
  session: Session,
  planned: PlannedNode[],
  s: {
    selected: Set<string>;
    force: Set<string>;
    moved: Set<string>;
    quarantine(node: string, stage: string, key: string, reason: string): Promise<void>;
    /** Inputs rehashed so far, each once. */
    checked: Set<string>;
    rehashInputs: boolean;
  },
): Promise<void> {
  const { pipeline, store } = session;
  const select = (id: string) => {
    const before = s.selected.size;
    for (const up of pipeline.closure(id)) s.selected.add(up);
    return s.selected.size > before;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const p of planned.filter((p) => p.damaged && !s.moved.has(`${p.stage}/${p.key}`))) {
      await s.quarantine(p.id, p.stage, p.key, p.damaged!);
      changed = select(p.id) || changed;
    }
    for (const n of session.previous?.nodes ?? []) {
      if (s.selected.has(n.node) || !pipeline.nodes.has(n.node)) continue;
      if (n.status !== "executed" && n.status !== "cached") continue;
      if ((await store.inspect(n.stage, n.key)).state === "ok") continue;
      changed = select(n.node) || changed;
    }
    if (s.rehashInputs && await verifyInputs(session, planned, s)) changed = true;
  }
}

/**
 * Rehashes the reused artifacts that the nodes about to run read, each once:
 * a stage must not compute from an input damaged in place. A damaged one is
 * marked so; whether any was is returned.
 */
async function verifyInputs(
  session: Session,
  planned: PlannedNode[],
  s: { selected: Set<string>; force: Set<string>; checked: Set<string> },
): Promise<boolean> {
  const byId = new Map(planned.map((p) => [p.id, p]));
  let marked = false;
  for (const p of planned) {
    if (!s.selected.has(p.id) || (p.fresh && !s.force.has(p.id))) continue;
    for (const up of Object.values(session.pipeline.get(p.id).inputs)) {
      const input = byId.get(up)!;
      if (!input.fresh || s.checked.has(input.id)) continue;
      s.checked.add(input.id);
      const found = await session.store.inspect(input.stage, input.key, true);
      if (found.state === "ok") continue;
      input.fresh = false;
      input.damaged = found.state === "damaged" ? found.reason : "its folder is gone";
      input.reasons = [`damaged: ${input.damaged}`];
      marked = true;
    }
  }
  return marked;
}

/**
 * Runs the preflight checks of every node the run would execute, and the
 * pipeline's checks across nodes that concern one of them, before any runs.
 */
async function preflight(
  session: Session,
  planned: PlannedNode[],
  selected: Set<string>,
  force: Set<string>,
): Promise<void> {
  const runs = new Set<string>();
  for (const p of planned) {
    if (!selected.has(p.id) || (p.fresh && !force.has(p.id))) continue;
    runs.add(p.id);
    await session.pipeline.get(p.id).stage.preflight?.({ params: p.params, files: p.filePaths });
  }
  const resolved = new Map(planned.map((p) => [p.id, p.params]));
  const params = (id: string) => resolved.get(id) ?? session.pipeline.get(id).params;
  for (const check of session.pipeline.checks) {
    if (check.nodes.some((id) => runs.has(id))) await check.run(params);
  }
}

/** Point artifacts/report at the report of this run (a relative symlink, swapped atomically). */
async function linkReport(storeRoot: string, results: NodeResult[]): Promise<string | undefined> {
  const r = results.find((n) => n.node === REPORT_NODE);
  if (!r || (r.status !== "executed" && r.status !== "cached")) return undefined;
  const link = join(storeRoot, "report");
  const target = relative(storeRoot, join(storeRoot, "objects", r.stage, r.key));
  const tmp = `${link}.tmp-${Deno.pid}`;
  await Deno.remove(tmp).catch(() => {});
  await Deno.symlink(target, tmp);
  await Deno.rename(tmp, link);
  return join(link, "index.html");
}

/** The latest run of the config and what a run would do now. */
export interface StatusResult {
  last: RunRecord | null;
  plan: PlannedNode[];
}

/** Plans without running: what is fresh, what would run and why (damaged artifacts are named, not moved). */
export async function status(opts: SessionOptions & { verify?: boolean }): Promise<StatusResult> {
  const session = await openSession(opts);
  return { last: session.previous, plan: await planSession(session, opts.verify) };
}

/** What gc removed (or would remove) and the bytes it frees. */
export interface GcResult {
  removed: { stage: string; key: string; bytes: number }[];
  freedBytes: number;
  kept: number;
}

/**
 * Remove artifacts that the latest run of no config refers to, quarantined
 * artifacts older than the latest run, and catalog files a killed rebuild left.
 */
export async function gc(
  opts: { store?: string; wait?: boolean; dryRun?: boolean; log?: (m: string) => void },
): Promise<GcResult> {
  const store = new Store(opts.store ?? "artifacts");
  if (!(await exists(store.root))) {
    throw new DissectError("CONFIG", `no store at ${store.root}`);
  }
  const lock = await acquireLock(store.root, { wait: opts.wait, command: "gc", log: opts.log });
  try {
    // What a config keeps is in its latest record: without it, gc would remove everything.
    const unreadable = await store.unreadableLatest();
    if (unreadable.length) {
      throw new DissectError(
        "STORE",
        `gc cannot tell what ${unreadable.join(", ")} keeps: it is not a readable run record`,
        "run reproduce for that config (it rewrites the record), or remove the file",
      );
    }
    const roots = new Set<string>();
    for (const run of await store.allLatestRuns()) {
      for (const n of run.nodes) roots.add(`${n.stage}/${n.key}`);
    }
    const removed: GcResult["removed"] = [];
    let kept = 0;
    for (const [stage, key] of await store.listArtifacts()) {
      if (roots.has(`${stage}/${key}`)) {
        kept++;
        continue;
      }
      const dir = store.artifactDir(stage, key);
      const bytes = await diskUsage(dir);
      if (!opts.dryRun) await store.remove(stage, key);
      removed.push({ stage, key, bytes });
    }
    // Quarantined artifacts were kept for inspection until a later run rebuilt them.
    const latest = Math.max(0, ...(await store.allLatestRuns()).map((r) => Date.parse(r.started)));
    const aged = [
      ...(await store.quarantined()).map(([dir, at]) => ["quarantine", dir, at] as const),
      // Logs of failed shards, kept for reading until a later run.
      ...(await store.failedShardLogs()).map(([path, at]) => ["shard-log", path, at] as const),
    ];
    for (const [kind, dir, at] of aged) {
      if (at.getTime() >= latest) continue;
      const bytes = await diskUsage(dir);
      if (!opts.dryRun) await Deno.remove(dir, { recursive: true });
      removed.push({ stage: kind, key: basename(dir), bytes });
    }
    // Under the lock no rebuild or record write is running: their temp files are orphans.
    for (const dir of [store.root, join(store.root, "runs"), join(store.root, "latest")]) {
      const entries = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
      for (const e of entries) {
        const catalog = e.name.startsWith(`${basename(store.catalogPath)}.tmp-`);
        const leftover = dir === store.root
          ? e.name.startsWith("digests.json.tmp-") || e.name.startsWith("lock.stale-")
          : e.name.includes(".json.tmp-");
        if (!catalog && !leftover) continue;
        const path = join(dir, e.name);
        const bytes = await diskUsage(path);
        if (!opts.dryRun) await Deno.remove(path, { recursive: true });
        removed.push({ stage: catalog ? "catalog-temp" : "record-temp", key: e.name, bytes });
      }
    }
    if (!opts.dryRun) {
      // Jobs a killed Slurm run left would write into tmp/ after it is cleaned.
      await cancelLeftJobs(store.root, false, opts.log ?? (() => {}));
      await store.cleanTmp();
    }
    return { removed, freedBytes: removed.reduce((s, r) => s + r.bytes, 0), kept };
  } finally {
    lock.release();
  }
}

/** What verify found: how many artifacts it rehashed, and the damaged ones, moved aside. */
export interface VerifyResult {
  checked: number;
  bytes: number;
  damaged: { stage: string; key: string; reason: string; movedTo: string }[];
}

/**
 * Rehashes every file of every artifact in the store against its manifest;
 * a damaged artifact is named and moved to quarantine/, so the next
 * reproduce rebuilds it.
 */
export async function verify(
  opts: { store?: string; wait?: boolean; log?: (m: string) => void },
): Promise<VerifyResult> {
  const store = new Store(opts.store ?? "artifacts");
  if (!(await exists(store.root))) {
    throw new DissectError("CONFIG", `no store at ${store.root}`);
  }
  const lock = await acquireLock(store.root, { wait: opts.wait, command: "verify", log: opts.log });
  try {
    const result: VerifyResult = { checked: 0, bytes: 0, damaged: [] };
    for (const [stage, key] of await store.listArtifacts()) {
      const found = await store.inspect(stage, key, true);
      result.checked++;
      if (found.state === "ok") {
        for (const f of Object.values(found.manifest.files)) result.bytes += f.size;
        continue;
      }
      const reason = found.state === "damaged" ? found.reason : "it has no manifest";
      const movedTo = await store.quarantine(stage, key, reason);
      opts.log?.(`damaged: ${stage}/${key.slice(0, 12)}: ${reason}; moved to ${movedTo}`);
      result.damaged.push({ stage, key, reason, movedTo });
    }
    return result;
  } finally {
    lock.release();
  }
}

/**
 * Stages run at once when --concurrency is not given. Stages share this
 * process's one JavaScript thread, and onnxruntime-node's runs hold it too,
 * so locally a second stage only waits (and its manifest time counts the
 * wait): one at a time. With Slurm, sharded stages wait on the cluster, so
 * several arrays are in flight at once, one per core here.
 */
export function defaultConcurrency(executor: "local" | "slurm"): number {
  return executor === "local" ? 1 : Math.max(1, availableParallelism());
}
