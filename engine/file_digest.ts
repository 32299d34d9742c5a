/**
 * Content digests of the files stages read (models, configs, image folders).
 * Hashing a 20 MB model on every run would dominate a no-op rerun, so digests
 * are cached by (absolute path, size, mtime) and recomputed only when those
 * change. A folder's digest covers every file under it, by relative path.
 */
import { createHash } from "node:crypto";
import { relative, resolve } from "node:path";
import { DissectError } from "./errors.ts";
import { readJsonIfExists, writeJsonAtomic } from "./fs_atomic.ts";

/** A file's size and modification time: when both are unchanged its digest is reused. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

interface CacheEntry extends FileStamp {
  sha256: string;
}

/** File digests cached by path, size and mtime, so large models are not rehashed every run. */
export class DigestCache {
  #entries: Record<string, CacheEntry> = {};
  #dirty = false;
  /** How many files were actually read and hashed (tests check the cache). */
  hashedFiles = 0;

  private constructor(readonly path: string | null) {}

  /** A cache persisted at `path`, or an in-memory one when `path` is null. */
  static async open(path: string | null): Promise<DigestCache> {
    const cache = new DigestCache(path);
    if (path) {
      // A cache that does not parse is only a cache: start afresh.
      cache.#entries = (await readJsonIfExists<Record<string, CacheEntry>>(path).catch(() =>
        null
      )) ??
        {};
    }
    return cache;
  }

  async save(): Promise<void> {
    if (this.path && this.#dirty) {
      await writeJsonAtomic(this.path, this.#entries);
      this.#dirty = false;
    }
  }

  /** sha256 of a file, or of a folder's files; `what` names the reader in errors. */
  async digest(path: string, what: string): Promise<string> {
    const abs = resolve(path);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(abs);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new DissectError(
          "INPUT_FILE",
          `${what}: file not found: ${path}`,
          "check the path in your config (paths are relative to the working directory)",
        );
      }
      throw e;
    }
    if (info.isDirectory) return await this.#digestFolder(abs, what);
    return await this.#digestFile(abs, info);
  }

  async #digestFile(abs: string, info: Deno.FileInfo): Promise<string> {
    const stamp = { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
    const hit = this.#entries[abs];
    if (hit && hit.size === stamp.size && hit.mtimeMs === stamp.mtimeMs) {
      return hit.sha256;
    }
    const hash = createHash("sha256");
    using file = await Deno.open(abs);
    for await (const chunk of file.readable) hash.update(chunk);
    const sha = hash.digest("hex");
    this.hashedFiles++;
    this.#entries[abs] = { ...stamp, sha256: sha };
    this.#dirty = true;
    return sha;
  }

  async #digestFolder(abs: string, what: string): Promise<string> {
    const files: string[] = [];
    await walk(abs, files);
    files.sort();
    if (files.length === 0) {
      throw new DissectError("INPUT_FILE", `${what}: folder is empty: ${abs}`);
    }
    const hash = createHash("sha256");
    for (const f of files) {
      const info = await Deno.stat(f);
      hash.update(`${relative(abs, f)}\0${await this.#digestFile(f, info)}\n`);
    }
    return hash.digest("hex");
  }
}

async function walk(dir: string, out: string[]): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    const p = `${dir}/${entry.name}`;
    if (entry.isDirectory) await walk(p, out);
    else if (entry.isFile) out.push(p);
  }
}

/** Size and mtime of a file or of every file under a folder, to notice edits during a run. */
export async function stampOf(path: string): Promise<string> {
  const info = await Deno.stat(path);
  if (!info.isDirectory) {
    return `${info.size}:${info.mtime?.getTime() ?? 0}`;
  }
  const files: string[] = [];
  await walk(path, files);
  files.sort();
  const parts: string[] = [];
  for (const f of files) {
    const i = await Deno.stat(f);
    parts.push(`${f}:${i.size}:${i.mtime?.getTime() ?? 0}`);
  }
  return parts.join("\n");
}
