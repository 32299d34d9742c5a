/** Writes that are either complete or absent: write a sibling, then rename. */
import { dirname } from "node:path";

/** Writes a file under a temporary name and renames it into place, so readers never see half of it. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {}); // a full disk leaves no half-written sibling
    throw e;
  }
}

/** Writes JSON (pretty, with a final newline) atomically. */
export async function writeJsonAtomic(path: string, value: unknown) {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** A JSON file parsed, or null when it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Whether anything exists at a path. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Total bytes under a path (files and folders), for gc's report. */
export async function diskUsage(path: string): Promise<number> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    total += await diskUsage(`${path}/${entry.name}`);
  }
  return total;
}

/** Write all of `bytes` (a single write may write less). */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}
