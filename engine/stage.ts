/**
 * The shape every stage has. A stage is a pure function of its parameters,
 * its input artifacts and the files it reads; it writes tables (Parquet) and
 * files into its own output folder and nothing else.
 */
import type { z } from "zod";
import type { Progress } from "./progress.ts";
import type { Row, RowOf, TableSchema } from "./table_writer.ts";
import type { Manifest } from "../schemas/manifest.ts";
import type { ItemRange, ShardPart } from "./shard.ts";

/** A published artifact of an upstream stage, as seen by a downstream one. */
export interface ArtifactRef {
  node: string;
  stage: string;
  key: string;
  dir: string;
  manifest: Manifest;
  /** Path of one of its Parquet tables. */
  table(name: string): string;
  /** Path of one of its other files. */
  file(name: string): string;
}

/** An open output table: rows are appended in order. */
export interface TableSink<R = Row> {
  append(row: R): void;
  readonly rows: number;
}

/** The tables a stage declares: name to schema, one schema per table, used by its writer. */
export type TableSchemas = Record<string, TableSchema>;

/** What a running stage gets: its parameters, inputs, files, output folder, tables, progress, log and threads. */
export interface StageContext<P, I extends string, T extends TableSchemas = TableSchemas> {
  /** The node id in the pipeline (one stage can appear as several nodes). */
  node: string;
  params: P;
  inputs: Record<I, ArtifactRef>;
  /** Absolute paths of the files declared by `files`, by slot name. */
  files: Record<string, string>;
  /** The folder this run writes into (a temporary one until published). */
  outDir: string;
  /** Opens a declared table as `<name>.parquet` in outDir, typed by its schema; the engine closes it. */
  table<K extends keyof T & string>(name: K): Promise<TableSink<RowOf<T[K]>>>;
  progress(label: string, total: number): Progress;
  log(message: string): void;
  /**
   * Draws a figure into `name` under outDir. A figure that fails to draw is
   * logged and left out: it never costs the stage its finished tables.
   */
  figure(name: string, draw: () => Uint8Array | Promise<Uint8Array>): Promise<void>;
  /** The threads this stage may compute on: its share of the cores while others run beside it. */
  threads: number;
  /**
   * A value opened once per stage run in this process and shared by its
   * parts and its merge (a model session), closed when the stage ends. A
   * shard on another node opens its own.
   */
  keep<T>(key: string, open: () => Promise<T>, close?: (value: T) => unknown): Promise<T>;
}

/** A stage: its code identity, name, parameters, input slots, output tables, files and run function. */
export interface StageDef<
  S extends z.ZodObject = z.ZodObject,
  I extends string = string,
  T extends TableSchemas = TableSchemas,
> {
  /** import.meta.url of the module that defines the stage: its code identity. */
  module: string;
  name: string;
  description: string;
  params: S;
  /** Input slots; "*" accepts any named inputs (the report). */
  inputs: readonly I[] | "*";
  /**
   * The tables the stage writes, each with its one schema: the writer is
   * created from it, `ctx.table` accepts only its rows, and every declared
   * table must be written (checked after the stage runs).
   */
  tables: T;
  /** Files (or folders) it reads, by slot: digested into its key. */
  files?: (params: z.infer<S>) => Record<string, string>;
  /**
   * Checks, before any stage of a run starts, what can be checked from the
   * parameters and files alone (a layer name against its model), so that a
   * typo fails at once instead of after hours of upstream work. Throws a
   * DissectError naming the problem.
   */
  preflight?: (p: { params: z.infer<S>; files: Record<string, string> }) => Promise<void>;
  /** The whole stage at once; a stage has either `run` or `shard`. */
  run?(ctx: StageContext<z.infer<S>, I, T>): Promise<void>;
  /** The stage as a loop over items that splits into shards and merges back exactly. */
  shard?: Sharding<StageContext<z.infer<S>, I, T>>;
}

/**
 * How a stage's loop splits over items and its partials merge (engine/shard.ts).
 * The engine always goes items, parts, merge, so one shard and many take the
 * same path; a merge must give the same tables whatever the split.
 */
export interface Sharding<C> {
  /** How many items the stage loops over, from its inputs and parameters. */
  items(ctx: C): number | Promise<number>;
  /**
   * Passes over the items (default 1). Each round runs every part, then
   * merges; a round's merge returns the state the next round's parts read
   * (plain JSON: a cluster node reads it from a file). The last writes the outputs.
   */
  rounds?(ctx: C): number | Promise<number>;
  /** Runs items [range.start, range.end): `ctx.outDir` and `ctx.table` are the partial's. */
  part(ctx: C, range: ItemRange, round: Round): Promise<void>;
  /** Merges the parts of a round, given in shard order: the outputs, or the next round's state. */
  merge(ctx: C, parts: ShardPart[], round: Round): Promise<unknown>;
}

/** Which pass of a multi-pass sharded stage is running, and the state the previous one left. */
export interface Round {
  index: number;
  count: number;
  /** What the previous round's merge returned (null in the first). */
  state: unknown;
}

/** Declares a stage (checks its name; the engine derives its key from the rest). */
export function defineStage<
  S extends z.ZodObject,
  const I extends string,
  const T extends TableSchemas,
>(
  def: StageDef<S, I, T>,
): StageDef<S, I, T> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) {
    throw new TypeError(`stage name "${def.name}" must be kebab-case`);
  }
  if (!def.run === !def.shard) {
    throw new TypeError(`stage ${def.name} must have either run or shard (not both)`);
  }
  return def;
}

/** A stage of any parameters and inputs. */
// deno-lint-ignore no-explicit-any
export type AnyStage = StageDef<any, string, any>;
