/**
 * The content-addressed store. Layout under the store root:
 *   objects/<stage>/<key>/   published artifacts (manifest.json last in, renamed in whole)
 *   tmp/                     runs in progress; anything here is garbage once the lock is ours
 *   runs/<runId>.json        one record per reproduce
 *   latest/<config>.json     the latest run of each config name (gc roots)
 *   digests.json             cached file digests
 *   catalog.duckdb           views over the latest run's tables
 *   quarantine/              damaged artifacts, moved aside for inspection (gc removes them)
 *   logs/                    logs of shards that failed their stage (gc removes them)
 * An artifact exists only if its folder is under objects/ with a manifest:
 * a stage killed at any moment leaves at most a folder under tmp/. Its
 * manifest lists its files with sizes and digests (engine/integrity.ts), so
 * a damaged artifact is found, moved aside and rebuilt, never reused.
 */
import { join, resolve } from "node:path";
import { Manifest, RunRecord } from "../schemas/manifest.ts";
import type { ArtifactRef } from "./stage.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "./fs_atomic.ts";
import { inspectArtifact, type Inspection } from "./integrity.ts";

/** The content-addressed artifact store (layout above). */
export class Store {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get tmpRoot() {
    return join(this.root, "tmp");
  }
  get digestCachePath() {
    return join(this.root, "digests.json");
  }
  get catalogPath() {
    return join(this.root, "catalog.duckdb");
  }
  get quarantineRoot() {
    return join(this.root, "quarantine");
  }

  artifactDir(stage: string, key: string): string {
    return join(this.root, "objects", stage, key);
  }

  async has(stage: string, key: string): Promise<boolean> {
    return await exists(join(this.artifactDir(stage, key), "manifest.json"));
  }

  /** The artifact's manifest; null when it is absent or does not parse (a damaged artifact). */
  async manifest(stage: string, key: string): Promise<Manifest | null> {
    let raw: unknown;
    try {
      raw = await readJsonIfExists(join(this.artifactDir(stage, key), "manifest.json"));
    } catch {
      return null;
    }
    const parsed = Manifest.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  /** Whether an artifact is absent, intact or damaged: sizes always, contents with `full`. */
  async inspect(stage: string, key: string, full = false): Promise<Inspection> {
    return await inspectArtifact(this.artifactDir(stage, key), full, { stage, key });
  }

  /**
   * Moves a damaged artifact out of objects/ into quarantine/ (one rename),
   * with a note of why, and returns where it went. Only call while holding
   * the lock.
   */
  async quarantine(stage: string, key: string, reason: string): Promise<string> {
    const stamp = new Date().toISOString().replaceAll(/[:.]/g, "-");
    const dest = join(this.quarantineRoot, `${stamp}-${stage}-${key.slice(0, 12)}`);
    await Deno.mkdir(this.quarantineRoot, { recursive: true });
    const from = this.artifactDir(stage, key);
    if ((await Deno.lstat(from)).isDirectory) await Deno.rename(from, dest);
    else {
      // A file where the artifact's folder should be: kept, inside a folder of its own.
      await Deno.mkdir(dest);
      await Deno.rename(from, join(dest, "in-place-of-the-folder"));
    }
    await Deno.writeTextFile(
      join(dest, "QUARANTINED.txt"),
      `${stage}/${key}\nmoved here ${new Date().toISOString()}: ${reason}\n`,
    );
    return dest;
  }

  /** Why an artifact was last moved to quarantine, and where to; null if it never was. */
  async quarantineNote(stage: string, key: string): Promise<string | null> {
    const suffix = `-${stage}-${key.slice(0, 12)}`;
    let latest: string | null = null;
    try {
      for await (const e of Deno.readDir(this.quarantineRoot)) {
        if (e.name.endsWith(suffix) && (!latest || e.name > latest)) latest = e.name;
      }
    } catch {
      return null;
    }
    if (!latest) return null;
    const note = await Deno.readTextFile(join(this.quarantineRoot, latest, "QUARANTINED.txt"))
      .catch(() => "");
    const reason = note.split("\n")[1]?.replace(/^moved here \S+: /, "") ?? "";
    return `${reason || "damaged"} (moved to quarantine/${latest})`;
  }

  /** Quarantined artifacts as [folder, when it was moved there]. */
  async quarantined(): Promise<[string, Date][]> {
    return await entriesWithTimes(this.quarantineRoot);
  }

  /** Where the logs of shards that failed their stage are kept, for the user to read. */
  get logsRoot() {
    return join(this.root, "logs");
  }

  /** Kept logs of failed shards and when each was written (gc removes those older than the latest run). */
  async failedShardLogs(): Promise<[string, Date][]> {
    return await entriesWithTimes(this.logsRoot);
  }

  async ref(stage: string, key: string, node: string): Promise<ArtifactRef> {
    const dir = this.artifactDir(stage, key);
    const manifest = await this.manifest(stage, key);
    if (!manifest) throw new Error(`artifact ${stage}/${key} is not in the store`);
    return artifactRef(node, dir, manifest);
  }

  /** A fresh private folder for one stage run. */
  async begin(stage: string, key: string): Promise<string> {
    const dir = join(
      this.tmpRoot,
      `${stage}-${key.slice(0, 12)}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
    );
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * Publish a finished run: write its manifest, then move the folder into
   * place with one rename. With `replace`, an existing artifact (a --force
   * rerun) is moved aside first and deleted after.
   */
  async publish(tmpDir: string, manifest: Manifest, replace = false): Promise<string> {
    await writeJsonAtomic(join(tmpDir, "manifest.json"), manifest);
    const target = this.artifactDir(manifest.stage, manifest.key);
    await Deno.mkdir(join(target, ".."), { recursive: true });
    if (await exists(target)) {
      if (!replace && await this.has(manifest.stage, manifest.key)) {
        await Deno.remove(tmpDir, { recursive: true }); // same key, same content
        return target;
      }
      // A forced rerun, or a folder without manifest (never complete): move it aside first.
      const old = `${tmpDir}.old`;
      await Deno.rename(target, old);
      await Deno.rename(tmpDir, target);
      await Deno.remove(old, { recursive: true });
      return target;
    }
    try {
      await Deno.rename(tmpDir, target);
    } catch (e) {
      // Another node of the same key published it first: same key, same content.
      if (!(await this.has(manifest.stage, manifest.key))) throw e;
      await Deno.remove(tmpDir, { recursive: true });
    }
    return target;
  }

  /**
   * Delete an artifact so that no moment leaves a half-deleted one in place:
   * it is first renamed into tmp/ (one step), then removed from there.
   */
  async remove(stage: string, key: string): Promise<void> {
    const doomed = join(this.tmpRoot, `gc-${stage}-${key.slice(0, 12)}-${Deno.pid}`);
    await Deno.mkdir(this.tmpRoot, { recursive: true });
    await Deno.rename(this.artifactDir(stage, key), doomed);
    await Deno.remove(doomed, { recursive: true });
  }

  async discard(tmpDir: string): Promise<void> {
    await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
  }

  /** Remove leftovers of killed runs. Only call while holding the lock. */
  async cleanTmp(): Promise<number> {
    let n = 0;
    try {
      for await (const e of Deno.readDir(this.tmpRoot)) {
        await Deno.remove(join(this.tmpRoot, e.name), { recursive: true });
        n++;
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return n;
  }

  async writeRun(record: RunRecord): Promise<void> {
    await writeJsonAtomic(join(this.root, "runs", `${record.runId}.json`), record);
    await writeJsonAtomic(join(this.root, "latest", `${record.config}.json`), record);
  }

  /** The latest run of a config; null when there is none, or its record is unreadable (as none). */
  async latestRun(config: string): Promise<RunRecord | null> {
    // Garbage, a folder in its place: unreadable is as good as none here (gc refuses it).
    const raw = await readJsonIfExists(join(this.root, "latest", `${config}.json`))
      .catch(() => null);
    const parsed = RunRecord.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  async allLatestRuns(): Promise<RunRecord[]> {
    return await this.#readRecords(join(this.root, "latest"));
  }

  /** Files under latest/ that are not readable run records (gc cannot tell what they keep). */
  async unreadableLatest(): Promise<string[]> {
    const out: string[] = [];
    const dir = join(this.root, "latest");
    for (const e of await Array.fromAsync(Deno.readDir(dir)).catch(() => [])) {
      if (!e.name.endsWith(".json")) continue;
      const raw = await readJsonIfExists(join(dir, e.name)).catch(() => null);
      if (!RunRecord.safeParse(raw).success) out.push(join(dir, e.name));
    }
    return out;
  }

  async allRuns(): Promise<RunRecord[]> {
    const runs = await this.#readRecords(join(this.root, "runs"));
    return runs.sort((a, b) => a.started.localeCompare(b.started));
  }

  async #readRecords(dir: string): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        if (!e.name.endsWith(".json")) continue;
        // A record that does not parse (damaged by hand or a crash) is skipped, not fatal.
        const raw = await readJsonIfExists(join(dir, e.name)).catch(() => null);
        const parsed = RunRecord.safeParse(raw);
        if (parsed.success) out.push(parsed.data);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out;
  }

  /** Every published artifact as [stage, key]. */
  async listArtifacts(): Promise<[string, string][]> {
    const out: [string, string][] = [];
    const objects = join(this.root, "objects");
    try {
      for await (const s of Deno.readDir(objects)) {
        if (!s.isDirectory) continue;
        // Anything under a stage's folder is an artifact, or what is left of one.
        for await (const k of Deno.readDir(join(objects, s.name))) out.push([s.name, k.name]);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out;
  }
}

/** A published artifact as a downstream stage sees it. */
export function artifactRef(node: string, dir: string, manifest: Manifest): ArtifactRef {
  return {
    node,
    stage: manifest.stage,
    key: manifest.key,
    dir,
    manifest,
    table: (name) => {
      if (!(name in manifest.tables)) {
        throw new Error(
          `${node} (${manifest.stage}) has no table "${name}"; it has: ${
            Object.keys(manifest.tables).join(", ")
          }`,
        );
      }
      return join(dir, `${name}.parquet`);
    },
    file: (name) => join(dir, name),
  };
}

/** The entries of a folder with their modification times; none when it does not exist. */
async function entriesWithTimes(root: string): Promise<[string, Date][]> {
  const out: [string, Date][] = [];
  try {
    for await (const e of Deno.readDir(root)) {
      const path = join(root, e.name);
      out.push([path, (await Deno.stat(path)).mtime ?? new Date(0)]);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}
