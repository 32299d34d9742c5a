/**
 * Executes a plan: stale nodes run (independent ones concurrently, bounded),
 * fresh ones are reused. Each run writes into a private temporary folder and
 * is published by rename only after its tables are closed, its declared
 * outputs exist and the files it read are unchanged.
 */
import { dirname, join } from "node:path";
import type { Pipeline } from "./dag.ts";
import type { PlannedNode } from "./plan.ts";
import type { Store } from "./store.ts";
import type { ArtifactRef, StageContext, TableSink } from "./stage.ts";
import { type TableSchema, TableWriter } from "./table_writer.ts";
import { type Progress, ProgressBoard, type ProgressOptions, startProgress } from "./progress.ts";
import { stampOf } from "./file_digest.ts";
import { DissectError, isDissectError, storeError } from "./errors.ts";
import { exists } from "./fs_atomic.ts";
import { listFiles } from "./integrity.ts";
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
  /** Threads each running stage may use (its share of the cores). */
  threads: number;
  log: (message: string) => void;
  progress?: ProgressOptions;
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
    for (let i = 0; i < pending.length && running.size < opts.concurrency;) {
      const id = pending[i];
      const p = byId.get(id)!;
      if (inputFailed(id)) {
        results.set(id, result(p, "skipped", 0, "an input failed"));
        pending.splice(i, 1);
      } else if (inputsDone(id)) {
        pending.splice(i, 1);
        const task = runNode(pipeline, p, store, opts)
          .then((r) => void results.set(id, r))
          .finally(() => running.delete(id));
        running.set(id, task);
      } else i++;
    }
    if (running.size === 0 && pending.length > 0) {
      // The selection is closed under inputs, so something is always runnable.
      throw new Error(`internal: no runnable stage among ${pending.join(", ")}`);
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  return planned.filter((p) => results.has(p.id)).map((p) => results.get(p.id)!);
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
  const tables = new Map<string, TableWriter>();
  const bars: Progress[] = [];
  let tmp: string | null = null;
  try {
    tmp = await store.begin(p.stage, p.key);
    const outDir = tmp;
    // The key holds the files' digests from planning: they must be unchanged now and at the end.
    const stampsBefore = p.fileStamps;
    checkStamps(p, stampsBefore, await stamps(p.filePaths));
    const inputs: Record<string, ArtifactRef> = {};
    for (const [slot, up] of Object.entries(node.inputs)) {
      const upPlan = pipeline.get(up);
      const upKey = p.keyParts.inputs[slot];
      inputs[slot] = await store.ref(upPlan.stage.name, upKey, up);
    }
    const ctx: StageContext<Record<string, unknown>, string> = {
      node: p.id,
      params: p.params,
      inputs,
      files: p.filePaths,
      outDir,
      table: async (name: string): Promise<TableSink> => {
        // Own keys only: "constructor" and the like are not declarations.
        const schema: TableSchema | undefined = Object.hasOwn(node.stage.tables, name)
          ? node.stage.tables[name]
          : undefined;
        if (!schema) {
          throw new DissectError(
            "PIPELINE",
            `stage ${p.stage} writes table "${name}" without declaring it`,
            `declare it in the stage's tables: ${Object.keys(node.stage.tables).join(", ")}`,
          );
        }
        if (!/^[a-z][a-z0-9_]*$/.test(name) || tables.has(name)) {
          throw new Error(`table name "${name}" is invalid or already open`);
        }
        const w = await TableWriter.create(join(outDir, `${name}.parquet`), schema);
        tables.set(name, w);
        return w;
      },
      progress: (label, total) => {
        const bar = startProgress(`  ${p.id}: ${label}`, total, opts.progress);
        bars.push(bar);
        return bar;
      },
      log: (m) => opts.log(`  ${p.id}: ${m}`),
      figure: async (name, draw) => {
        let bytes: Uint8Array;
        try {
          bytes = await draw();
        } catch (e) {
          opts.log(`  ${p.id}: figure ${name} not drawn: ${(e as Error)?.message ?? e}`);
          return;
        }
        const path = join(outDir, name);
        await Deno.mkdir(dirname(path), { recursive: true });
        await Deno.writeFile(path, bytes);
      },
      threads: opts.threads,
    };
    await node.stage.run(ctx);
    for (const bar of bars) bar.done(); // a bar the stage left open
    const rows: Record<string, number> = {};
    for (const [name, w] of tables) rows[name] = await w.close();
    tables.clear();
    for (const out of Object.keys(node.stage.tables)) {
      if (!(out in rows) && !(await exists(join(outDir, `${out}.parquet`)))) {
        throw new DissectError(
          "PIPELINE",
          `stage ${p.stage} did not write its declared table "${out}"`,
          "a stage opens every table it declares, even one it leaves empty",
        );
      }
    }
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
    // A bar left open by the failure leaves the terminal's block, showing where it stopped.
    for (const bar of bars) bar.done();
    for (const w of tables.values()) await w.abort().catch(() => {});
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
