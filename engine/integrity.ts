/**
 * What an artifact holds, so the store never trusts a damaged one. A
 * manifest lists every file of its folder with size and sha256, computed
 * before the folder is published. The cheap check (every plan) parses the
 * manifest and compares sizes; the full check (verify) rehashes every file.
 * Either names what it found wrong in one line.
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { Manifest } from "../schemas/manifest.ts";

/** One file of an artifact: its size in bytes and its sha256. */
export interface FileEntry {
  size: number;
  sha256: string;
}

/** The manifest's own name, the one file of a folder that its file list leaves out. */
export const MANIFEST = "manifest.json";

/** sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** Every file under `dir` but its manifest, by relative path (sorted), with size and sha256. */
export async function listFiles(dir: string): Promise<Record<string, FileEntry>> {
  const paths: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (!(d === dir && e.name === MANIFEST)) paths.push(p);
    }
  };
  await walk(dir);
  paths.sort();
  const out: Record<string, FileEntry> = {};
  for (const p of paths) {
    out[relative(dir, p)] = { size: (await Deno.stat(p)).size, sha256: await hashFile(p) };
  }
  return out;
}

/** What checking an artifact folder found: its manifest, or what is wrong with it. */
export type Inspection =
  | { state: "absent" }
  | { state: "ok"; manifest: Manifest }
  | { state: "damaged"; reason: string };

/**
 * Checks an artifact folder against its manifest: the manifest must parse,
 * be the expected artifact's, and every file it lists must exist with its
 * size; with `full`, also with its sha256. No folder at all is absent.
 */
export async function inspectArtifact(
  dir: string,
  full = false,
  /** The artifact the folder must hold: a manifest of another is damage (a copied folder). */
  expect?: { stage: string; key: string },
): Promise<Inspection> {
  const damaged = (reason: string): Inspection => ({
    state: "damaged",
    reason: reason.replaceAll(/\s+/g, " "), // one line, whatever the parser said
  });
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, MANIFEST));
  } catch (e) {
    const info = await Deno.lstat(dir).catch(() => null);
    if (info && !info.isDirectory) return damaged("it is a file, not a folder");
    if (!(e instanceof Deno.errors.NotFound)) {
      return damaged(`its manifest cannot be read (${(e as Error).message})`);
    }
    // A published folder always has its manifest (it moves into place whole).
    return info ? damaged("its manifest is missing") : { state: "absent" };
  }
  let manifest: Manifest;
  try {
    const parsed = Manifest.safeParse(JSON.parse(text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return damaged(
        `its manifest is not a manifest of this version (${
          issue.path.join(".") || "top level"
        }: ${issue.message})`,
      );
    }
    manifest = parsed.data;
  } catch (e) {
    return damaged(`its manifest is not JSON (${(e as Error).message})`);
  }
  if (expect && (manifest.stage !== expect.stage || manifest.key !== expect.key)) {
    return damaged(
      `its manifest is that of ${manifest.stage}/${manifest.key.slice(0, 12)} (copied into place?)`,
    );
  }
  for (const [name, want] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    let size: number;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) return damaged(`file ${name} is not a file`);
      size = info.size;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return damaged(`file ${name} is missing`);
      return damaged(`file ${name} cannot be read (${(e as Error).message})`);
    }
    if (size !== want.size) {
      return damaged(`file ${name} has ${size} bytes, its manifest says ${want.size}`);
    }
    if (full && await hashFile(path) !== want.sha256) {
      return damaged(`file ${name} changed since it was written (sha256)`);
    }
  }
  return { state: "ok", manifest };
}
