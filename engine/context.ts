/**
 * The context a stage runs in: its parameters, inputs, files, output folder,
 * declared tables, progress, log, figures and threads. The runner builds one
 * for a whole stage or a merge; a shard (in this process or on a cluster
 * node) builds one whose output folder is its partial's.
 */
import { dirname, join } from "node:path";
import type { AnyStage, ArtifactRef, StageContext, TableSink } from "./stage.ts";
import { type TableSchema, TableWriter } from "./table_writer.ts";
import { type Progress, type ProgressOptions, startProgress } from "./progress.ts";
import { DissectError } from "./errors.ts";
import { exists } from "./fs_atomic.ts";
import type { PlannedNode } from "./plan.ts";

/** A stage's context and what closes it: its tables (returning rows per table) or, on failure, aborts them. */
export interface OpenContext {
  ctx: StageContext<Record<string, unknown>, string>;
  /**
   * Closes the bars and tables and returns rows per table; with `complete`
   * (a stage or a merge, not a part) checks every declared table was written.
   */
  finish(complete?: boolean): Promise<Record<string, number>>;
  /** Closes what the failed stage left open; its folder is the caller's to discard. */
  abort(): Promise<void>;
}

/**
 * What a stage run keeps open in this process across its parts and merge
 * (StageContext.keep); the runner closes it when the stage ends, however it ends.
 */
export class Kept {
  readonly #values = new Map<
    string,
    { value: Promise<unknown>; close?: (v: unknown) => unknown }
  >();

  /** The value under `key`, opened on first use. */
  get<T>(key: string, open: () => Promise<T>, close?: (value: T) => unknown): Promise<T> {
    let entry = this.#values.get(key);
    if (!entry) {
      entry = { value: open(), close: close as (v: unknown) => unknown };
      this.#values.set(key, entry);
    }
    return entry.value as Promise<T>;
  }

  /** Closes every value that opened, in the order they were opened. */
  async close(): Promise<void> {
    for (const { value, close } of this.#values.values()) {
      const v = await value.catch(() => undefined);
      if (v !== undefined) await Promise.resolve(close?.(v)).catch(() => {});
    }
    this.#values.clear();
  }
}

/** Builds the context of one node of a plan writing into `outDir`. */
export function openContext(opts: {
  planned: PlannedNode;
  stage: AnyStage;
  inputs: Record<string, ArtifactRef>;
  outDir: string;
  threads: number;
  log: (message: string) => void;
  progress?: ProgressOptions;
  /** What the stage run keeps open across its parts and merge. */
  kept: Kept;
}): OpenContext {
  const { planned: p, stage, outDir } = opts;
  const tables = new Map<string, TableWriter>();
  const bars: Progress[] = [];
  const ctx: StageContext<Record<string, unknown>, string> = {
    node: p.id,
    params: p.params,
    inputs: opts.inputs,
    files: p.filePaths,
    outDir,
    table: async (name: string): Promise<TableSink> => {
      // Own keys only: "constructor" and the like are not declarations.
      const schema: TableSchema | undefined = Object.hasOwn(stage.tables, name)
        ? stage.tables[name]
        : undefined;
      if (!schema) {
        throw new DissectError(
          "PIPELINE",
          `stage ${p.stage} writes table "${name}" without declaring it`,
          `declare it in the stage's tables: ${Object.keys(stage.tables).join(", ")}`,
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
    keep: (key, open, close) => opts.kept.get(key, open, close),
  };
  return {
    ctx,
    async finish(complete = true) {
      for (const bar of bars) bar.done(); // a bar the stage left open
      const rows: Record<string, number> = {};
      for (const [name, w] of tables) rows[name] = await w.close();
      tables.clear();
      for (const out of complete ? Object.keys(stage.tables) : []) {
        if (!(out in rows) && !(await exists(join(outDir, `${out}.parquet`)))) {
          throw new DissectError(
            "PIPELINE",
            `stage ${p.stage} did not write its declared table "${out}"`,
            "a stage opens every table it declares, even one it leaves empty",
          );
        }
      }
      return rows;
    },
    async abort() {
      // A bar left open by the failure leaves the terminal's block, showing where it stopped.
      for (const bar of bars) bar.done();
      for (const w of tables.values()) await w.abort().catch(() => {});
      tables.clear();
    },
  };
}
