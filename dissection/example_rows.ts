/**
 * The example images a sharded stage's figure draws: each shard keeps the
 * first rows of its own range (a row: one sample's images, equal-size RGB)
 * and saves them into its partial; the merge reads them back in shard order
 * and keeps the first rows overall, the rows one pass would have kept.
 */
import { join } from "node:path";

const META = "examples.json", PIXELS = "examples.rgb";

/** Rows of size x size RGB images, and their size (0 when there are none). */
export interface ExampleRows {
  rows: Uint8Array[][];
  size: number;
}

/** Saves a shard's example rows into its partial's folder (an empty list too). */
export async function writeExampleRows(dir: string, { rows, size }: ExampleRows): Promise<void> {
  const image = size * size * 3;
  const pixels = new Uint8Array(rows.reduce((n, r) => n + r.length, 0) * image);
  rows.flat().forEach((img, k) => {
    if (img.length !== image) {
      throw new Error(`an example image has ${img.length} bytes, not ${image}`);
    }
    pixels.set(img, k * image);
  });
  await Deno.writeFile(join(dir, PIXELS), pixels);
  await Deno.writeTextFile(
    join(dir, META),
    JSON.stringify({ size, widths: rows.map((r) => r.length) }),
  );
}

/** The first `limit` example rows of shards saved by writeExampleRows, in the order of `dirs`. */
export async function readExampleRows(
  dirs: readonly string[],
  limit: number,
): Promise<ExampleRows> {
  const out: ExampleRows = { rows: [], size: 0 };
  for (const dir of dirs) {
    if (out.rows.length >= limit) break;
    const meta: { size: number; widths: number[] } = JSON.parse(
      await Deno.readTextFile(join(dir, META)),
    );
    if (!meta.widths.length) continue;
    if (out.size && meta.size !== out.size) {
      throw new Error(`${dir}: examples of ${meta.size} px beside examples of ${out.size} px`);
    }
    out.size = meta.size;
    const pixels = await Deno.readFile(join(dir, PIXELS)), image = meta.size * meta.size * 3;
    if (pixels.length !== meta.widths.reduce((n, w) => n + w, 0) * image) {
      throw new Error(`${dir}/${PIXELS} does not match ${META}`);
    }
    let at = 0;
    for (const width of meta.widths) {
      const row = Array.from(
        { length: width },
        (_, k) => pixels.subarray((at + k) * image, (at + k + 1) * image),
      );
      at += width;
      if (out.rows.length < limit) out.rows.push(row);
    }
  }
  return out;
}
