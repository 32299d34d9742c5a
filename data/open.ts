/**
 * Opening a data set artifact for reading in batches, with errors that name
 * it: missing or half-written (no meta.json), or empty.
 */
import { DissectError } from "../engine/errors.ts";
import { SplitReader } from "./split_format.ts";

/** Opens a stored split for batched reading; `what` names it in errors. */
export function openDataset(dir: string, what: string): SplitReader {
  let reader: SplitReader;
  try {
    reader = new SplitReader(dir);
  } catch (e) {
    throw new DissectError("DATA", `${what}: ${(e as Error).message}`);
  }
  if (reader.count === 0) throw new DissectError("DATA", `${what}: the data set is empty (${dir})`);
  return reader;
}

/** [start, end) batches covering [from, count): a shard's items are batched from its own start. */
export function* batches(
  count: number,
  size: number,
  from = 0,
): Generator<[number, number]> {
  for (let start = from; start < count; start += size) {
    yield [start, Math.min(count, start + size)];
  }
}

/**
 * How many batches of `size` cover `count` items: the items of a stage sharded
 * by batch, so that every batch holds the same items whatever the split.
 */
export function batchCount(count: number, size: number): number {
  return Math.ceil(count / size);
}

/** The items [start, end) that batches [range.start, range.end) of `size` cover, of `count` items. */
export function batchSpan(
  range: { start: number; end: number },
  size: number,
  count: number,
): { start: number; end: number } {
  return { start: Math.min(count, range.start * size), end: Math.min(count, range.end * size) };
}

/** How many batches of `size` cover a stored split: the items of a stage sharded by batch over it. */
export function splitBatches(dir: string, what: string, size: number): number {
  return batchCount(openDataset(dir, what).meta.count, size);
}
