/**
 * Joining files of fixed-size records (images, label planes, latents) that
 * consecutive shards wrote: the merged file is theirs end to end, in shard
 * order, byte for byte what one pass would have written.
 */

/** Writes `to` as the files `from` end to end: the first moved (no copy), the others appended. */
export async function joinFiles(to: string, from: readonly string[]): Promise<void> {
  const [first, ...rest] = from;
  if (first === undefined) {
    await Deno.writeFile(to, new Uint8Array());
    return;
  }
  await Deno.rename(first, to);
  const out = await Deno.open(to, { append: true });
  try {
    for (const path of rest) {
      const input = await Deno.open(path, { read: true });
      await input.readable.pipeTo(out.writable, { preventClose: true });
    }
  } finally {
    out.close();
  }
}
