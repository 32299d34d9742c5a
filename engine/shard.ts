/**
 * Sharding: a stage whose work is a loop over items (images, samples,
 * attacks) declares how many items it has, how to run a range of them into
 * a partial, and how partials merge exactly into its outputs. The engine
 * splits the range, has an executor run the parts (in this process, or as
 * a Slurm job array) and merges them in shard order. Each partial carries a
 * stamp (stage, key, run, shard index and count, range), written last and
 * checked before a merge, so a stale or half-written partial is never used.
 */
import { join } from "node:path";
import { z } from "zod";
import { DissectError } from "./errors.ts";
import { readJsonIfExists, writeJsonAtomic } from "./fs_atomic.ts";
import { queryRows, sqlString } from "./duck.ts";
import type { RowOf, TableSchema } from "./table_writer.ts";
import type { TableSink } from "./stage.ts";

/** A half-open range of item indices, [start, end). */
export interface ItemRange {
  start: number;
  end: number;
}

/** A finished partial as a merge sees it: its folder and the items it covers. */
export interface ShardPart {
  index: number;
  dir: string;
  range: ItemRange;
}

/**
 * Splits `items` into `shards` contiguous ranges whose sizes differ by at
 * most one, earlier ranges the larger. Never more ranges than items (but
 * always one, so an empty loop still merges once).
 */
export function shardRanges(items: number, shards: number): ItemRange[] {
  if (!Number.isInteger(items) || items < 0) throw new RangeError(`items must be >= 0: ${items}`);
  if (!Number.isInteger(shards) || shards < 1) {
    throw new RangeError(`shards must be >= 1: ${shards}`);
  }
  const n = Math.max(1, Math.min(shards, items));
  const base = Math.floor(items / n), extra = items % n;
  const out: ItemRange[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    out.push({ start, end });
    start = end;
  }
  return out;
}

/** What identifies one partial: the stage's key and the run that asked for it. */
export const PartialStamp = z.strictObject({
  format: z.literal("dissect-partial/1"),
  stage: z.string(),
  key: z.string(),
  /** The coordinator's run: a partial of an earlier run of the same key is not merged. */
  run: z.string(),
  /** The pass of a multi-pass stage (0 for others). */
  round: z.int().min(0),
  index: z.int().min(0),
  count: z.int().min(1),
  start: z.int().min(0),
  end: z.int().min(0),
});
/** The stamp a finished partial carries (PartialStamp). */
export type PartialStamp = z.infer<typeof PartialStamp>;

const STAMP = "partial.json";

/** The file in a job's folder that names its node and each shard's stamp. */
export const JOB_FILE = "job.json";

/** The folder of shard `index` of a job: where its part writes and its stamp goes last. */
export function partDir(jobDir: string, index: number): string {
  return join(jobDir, `part-${index}`);
}

const REFUSED = "refused.txt";

/**
 * Records why a shard refused to run (its node's key changed since it was
 * submitted): running it again cannot help, so the coordinator fails the
 * stage with this reason instead of resubmitting.
 */
export async function writeRefusal(jobDir: string, index: number, why: string): Promise<void> {
  await Deno.mkdir(partDir(jobDir, index), { recursive: true });
  await Deno.writeTextFile(join(partDir(jobDir, index), REFUSED), why);
}

/** Why a shard refused to run, if it did (`writeRefusal`). */
export async function refusalOf(jobDir: string, index: number): Promise<string | null> {
  return await Deno.readTextFile(join(partDir(jobDir, index), REFUSED)).catch(() => null);
}

/** Marks a partial finished: the stamp is written (atomically) after everything else. */
export async function writeStamp(dir: string, stamp: PartialStamp): Promise<void> {
  await writeJsonAtomic(join(dir, STAMP), stamp);
}

/** Whether shard `index`'s partial is finished and belongs to exactly this job. */
export async function partIsDone(jobDir: string, want: PartialStamp): Promise<boolean> {
  const raw = await readJsonIfExists(join(partDir(jobDir, want.index), STAMP)).catch(() => null);
  const got = PartialStamp.safeParse(raw);
  return got.success && JSON.stringify(got.data) === JSON.stringify(want);
}

/**
 * The finished partials of a job in shard order; any missing or stamped for
 * another key, run, index or range fails the merge by name.
 */
export async function checkedParts(jobDir: string, stamps: PartialStamp[]): Promise<ShardPart[]> {
  const parts: ShardPart[] = [];
  for (const want of stamps) {
    if (!(await partIsDone(jobDir, want))) {
      throw new DissectError(
        "PIPELINE",
        `shard ${want.index + 1} of ${want.count} of ${want.stage}/${want.key.slice(0, 12)} ` +
          `has no finished partial of this run in ${partDir(jobDir, want.index)}`,
        "the stage was not published; run again",
      );
    }
    parts.push({
      index: want.index,
      dir: partDir(jobDir, want.index),
      range: { start: want.start, end: want.end },
    });
  }
  return parts;
}

/**
 * Appends a table of each partial to `sink`, partial after partial in shard
 * order (per-item rows concatenate in item order). Reads only the declared
 * columns, in the order the part wrote them.
 */
export async function concatTables<S extends TableSchema>(
  sink: TableSink<RowOf<S>>,
  schema: S,
  parts: ShardPart[],
  table: string,
): Promise<void> {
  const columns = Object.keys(schema).map((c) => `"${c.replaceAll('"', '""')}"`).join(", ");
  for (const p of parts) {
    const path = join(p.dir, `${table}.parquet`);
    // file_row_number keeps the part's own order: Parquet readers may otherwise interleave.
    const rows = await queryRows<RowOf<S>>(
      `SELECT ${columns} FROM read_parquet(${sqlString(path)}, file_row_number = true) ` +
        `ORDER BY file_row_number`,
    );
    for (const r of rows) sink.append(r);
  }
}
