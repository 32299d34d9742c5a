/**
 * A generator's samples as a data set. Latents are standard normal and
 * seeded by sample index, so any range of samples is made alone; a range is
 * written as a split without ground truth (its images) beside its latents
 * (latents.f32, kept so later stages can replay and edit the same samples),
 * and splits of consecutive ranges join into the one a single pass writes.
 */
import { join } from "node:path";
import { writeAll } from "../engine/fs_atomic.ts";
import type { RowOf } from "../engine/table_writer.ts";
import type { Generator } from "../onnx/generator.ts";
import { normalLatents, rowNorm } from "../stats/normal.ts";
import { batches } from "./open.ts";
import { planarToRgb } from "./image.ts";
import { joinFiles } from "./join_files.ts";
import { joinSplits, type SplitMeta, SplitReader, SplitWriter } from "./split_format.ts";

/** One row per sample: its index and its latent's length. */
export const SAMPLES_TABLE = { image: "INTEGER", z_norm: "DOUBLE" } as const;

const LATENTS = "latents.f32";

/**
 * Generates samples [start, end) into `dir` in batches of `batch` from
 * `start`: their latents, their images as a split, and a row each.
 */
export async function generateSamples(opts: {
  generator: Generator;
  seed: number;
  start: number;
  end: number;
  batch: number;
  dir: string;
  sample: (row: RowOf<typeof SAMPLES_TABLE>) => void;
  tick?: (samples: number) => void;
}): Promise<void> {
  const { generator, seed, dir } = opts;
  const { latent } = generator;
  using latents = await Deno.open(join(dir, LATENTS), { write: true, create: true });
  let writer: SplitWriter | null = null;
  for (const [start, end] of batches(opts.end, opts.batch, opts.start)) {
    const n = end - start;
    const zs = normalLatents(seed, start, n, latent);
    await writeAll(latents, new Uint8Array(zs.buffer));
    const { data, size } = await generator.generate(zs, n);
    writer ??= new SplitWriter(dir, {
      split: "generated",
      height: size,
      width: size,
      seed,
      labels: ["generated"],
      groundTruth: false,
    });
    for (let i = 0; i < n; i++) {
      const rgb = planarToRgb(data, i * 3 * size * size, size * size);
      writer.append({ width: size, height: size, rgb, label: 0 });
      opts.sample({ image: start + i, z_norm: rowNorm(zs, i, latent) });
    }
    opts.tick?.(n);
  }
  writer?.finalize();
}

/** Joins the samples of consecutive ranges (shards, in order) into `dir`: latents and split end to end. */
export async function joinSamples(dir: string, parts: readonly string[]): Promise<SplitMeta> {
  await joinFiles(join(dir, LATENTS), parts.map((p) => join(p, LATENTS)));
  return await joinSplits(dir, parts);
}

/** The first `n` images of a split (fewer if it has fewer), each its own RGB bytes. */
export function firstImages(dir: string, n: number): Uint8Array[] {
  const split = new SplitReader(dir);
  const { count, height, width } = split.meta;
  const k = Math.min(n, count), bytes = height * width * 3;
  const rgb = split.readImages(0, k);
  return Array.from({ length: k }, (_, i) => rgb.subarray(i * bytes, (i + 1) * bytes));
}
