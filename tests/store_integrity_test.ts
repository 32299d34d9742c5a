/**
 * A store that never trusts a damaged artifact: each kind of damage is found,
 * named, moved to quarantine/ and rebuilt to the bytes a cold run wrote; a
 * failing catalog step is a failed run; an unwritable store is one line; a
 * lock held by a reused pid is taken over; gc clears what damage and killed
 * rebuilds leave behind; rerun reasons say what happened.
 */
import { join } from "node:path";
import { hostname } from "node:os";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  executedNodes,
  runCli,
  type ScratchDir,
  scratchDir,
  TOY_PIPELINE,
  toyReproduce,
} from "./helpers.ts";
import type { Manifest, RunRecord } from "../schemas/manifest.ts";

const toy = toyReproduce;

/** The one artifact folder of a stage in a store (the toy's stages have one each per run). */
async function artifactOf(store: string, stage: string): Promise<string> {
  const dirs = await Array.fromAsync(Deno.readDir(join(store, "objects", stage)));
  assertEquals(dirs.length, 1, `${stage} has one artifact`);
  return join(store, "objects", stage, dirs[0].name);
}

async function filesOf(dir: string): Promise<Manifest["files"]> {
  return (JSON.parse(await Deno.readTextFile(join(dir, "manifest.json"))) as Manifest).files;
}

/** A cold toy store in `tmp`, and the file list of its squares artifact. */
async function coldStore(
  tmp: ScratchDir,
): Promise<{ store: string; squares: string; files: Manifest["files"] }> {
  const store = await tmp.subdir();
  const r = await runCli(toy(store));
  assertEquals(r.code, 0, r.stderr);
  const squares = await artifactOf(store, "squares");
  const files = await filesOf(squares);
  assertEquals(Object.keys(files).sort(), ["note.txt", "squares.parquet"]);
  return { store, squares, files };
}

/** XOR bytes of a file in place, keeping its size. */
async function flip(path: string, at: (size: number) => number, count = 4) {
  const bytes = await Deno.readFile(path);
  const from = at(bytes.length);
  for (let i = from; i < from + count; i++) bytes[i] ^= 0x5a;
  await Deno.writeFile(path, bytes);
}

async function quarantined(store: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(store, "quarantine"))) {
    out.push(await Deno.readTextFile(join(store, "quarantine", e.name, "QUARANTINED.txt")));
  }
  return out;
}

const damages: [string, (dir: string) => Promise<void>, RegExp][] = [
  ["a deleted file", (d) => Deno.remove(join(d, "note.txt")), /file note\.txt is missing/],
  [
    "a resized file",
    (d) => Deno.truncate(join(d, "squares.parquet"), 100),
    /file squares\.parquet has 100 bytes, its manifest says \d+/,
  ],
  [
    "a garbage manifest",
    (d) => Deno.writeTextFile(join(d, "manifest.json"), "garbage{"),
    /its manifest is not JSON/,
  ],
  [
    "a manifest of another version",
    (d) => Deno.writeTextFile(join(d, "manifest.json"), '{"format": "dissect-artifact/1"}'),
    /its manifest is not a manifest of this version/,
  ],
];

for (const [what, damage, reason] of damages) {
  Deno.test(`${what} is named, moved aside and rebuilt as a cold run wrote it`, async () => {
    await using tmp = await scratchDir();
    const { store, squares, files } = await coldStore(tmp);
    await damage(squares);
    const dry = await runCli(toy(store, "--dry-run"));
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, new RegExp(`stale\\s+squares\\s+\\w+\\s+damaged: ${reason.source}`));
    const r = await runCli(toy(store, "--json"));
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, new RegExp(`damaged: squares \\(squares/\\w+\\): ${reason.source}`));
    // Only the damaged stage runs: its key, and so its dependents' keys, are unchanged.
    assertEquals(executedNodes(r.stdout), ["squares"]);
    assertEquals(await filesOf(await artifactOf(store, "squares")), files);
    const notes = await quarantined(store);
    assertEquals(notes.length, 1);
    assertMatch(notes[0], reason);
  });
}

Deno.test("flipped bytes are found by verify and by reproduce --verify, not by the size check", async () => {
  await using tmp = await scratchDir();
  const { store, squares, files } = await coldStore(tmp);
  await flip(join(squares, "note.txt"), (n) => n >> 1);
  const plain = await runCli(toy(store, "--json"));
  assertEquals(executedNodes(plain.stdout), [], "sizes match: a plain run reuses it");

  const verified = await runCli(toy(store, "--json", "--verify"));
  assertEquals(verified.code, 0, verified.stderr);
  assertMatch(verified.stderr, /damaged: squares .*file note\.txt changed since it was written/);
  assertEquals(executedNodes(verified.stdout), ["squares"]);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);

  await flip(join(await artifactOf(store, "squares"), "squares.parquet"), (n) => n >> 1);
  const v = await runCli(["verify", "--store", store]);
  assertEquals(v.code, 1, v.stdout + v.stderr);
  assertMatch(
    v.stdout,
    /damaged: squares\/\w+: file squares\.parquet changed since it was written/,
  );
  assertMatch(
    v.stdout,
    /\d+ artifact\(s\) checked, .* 1 damaged \(the next reproduce rebuilds them\)/,
  );
  const rebuilt = await runCli(toy(store, "--json"));
  assertEquals(executedNodes(rebuilt.stdout), ["squares"]);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);
  const after = await runCli(["verify", "--store", store, "--json"]);
  assertEquals(after.code, 0, after.stdout);
  assertEquals(JSON.parse(after.stdout).damaged, []);
});

Deno.test("a Parquet file DuckDB cannot open is damaged too: moved aside and rebuilt in the same run", async () => {
  await using tmp = await scratchDir();
  const { store, squares, files } = await coldStore(tmp);
  // The footer's magic bytes: same size, so only opening the file shows it.
  await flip(join(squares, "squares.parquet"), (n) => n - 4);
  const r = await runCli(toy(store, "--json"));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /damaged: squares \(squares\/\w+\): table squares cannot be read/);
  assertEquals(executedNodes(r.stdout), ["squares"]);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);
});

Deno.test("a run whose catalog step fails is recorded as failed, with one line and exit 4", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  await Deno.remove(join(store, "catalog.duckdb"));
  await Deno.mkdir(join(store, "catalog.duckdb", "in-the-way"), { recursive: true });
  const r = await runCli(toy(store));
  assertEquals(r.code, 4, r.stderr);
  assertMatch(r.stderr, /^error\[STORE\]: cannot use \S+\/catalog\.duckdb: a folder stands where/m);
  assert(!r.stderr.includes("    at "), `no stack trace:\n${r.stderr}`);
  const latest: RunRecord = JSON.parse(
    await Deno.readTextFile(join(store, "latest", "default.json")),
  );
  assertEquals(latest.ok, false);
  assertMatch(latest.error ?? "", /catalog\.duckdb: a folder stands where a file should be/);
  // The catalog's temporary file is removed, and gc would find nothing else of it.
  const left = await Array.fromAsync(Deno.readDir(store));
  assertEquals(left.filter((e) => e.name.includes(".tmp-")).map((e) => e.name), []);
});

Deno.test("a store that cannot be created is one line naming it, exit 4", async () => {
  const r = await runCli(toy("/proc/dissect-no-store/store"));
  assertEquals(r.code, 4, r.stderr);
  assertMatch(
    r.stderr,
    /^error\[STORE\]: cannot create the store \/proc\/dissect-no-store\/store/m,
  );
  assert(!r.stderr.includes("    at "), `no stack trace:\n${r.stderr}`);
});

/**
 * A tmpfs mounted with `options` on a new folder (root with CAP_SYS_ADMIN, as
 * in CI's container): its path, to give to unmountTmpfs. Throws where it
 * cannot be mounted, the folder removed.
 */
function mountTmpfs(options: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "dissect-mount-" });
  const out = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", options, "tmpfs", dir] })
    .outputSync();
  if (!out.success) {
    Deno.removeSync(dir);
    throw new Error(`cannot mount a tmpfs: ${new TextDecoder().decode(out.stderr)}`);
  }
  return dir;
}

/** Unmounts a tmpfs of mountTmpfs (lazily, should anything still hold it) and removes its folder. */
function unmountTmpfs(dir: string) {
  const out = new Deno.Command("umount", { args: ["-l", dir] }).outputSync();
  if (!out.success) {
    throw new Error(`cannot unmount ${dir}: ${new TextDecoder().decode(out.stderr)}`);
  }
  Deno.removeSync(dir);
}

/** Whether a tmpfs can be mounted here: tried, and undone, as this file loads. */
const canMount = Deno.build.os === "linux" && (() => {
  try {
    unmountTmpfs(mountTmpfs("size=16k"));
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "a read-only store is one line naming the file it could not write, exit 4",
  ignore: !canMount,
  async fn() {
    const ro = mountTmpfs("ro");
    try {
      const r = await runCli(toy(ro));
      assertEquals(r.code, 4, r.stderr);
      assertMatch(r.stderr, /^error\[STORE\]: cannot write .*: read-only file system/m);
      assert(r.stderr.includes(ro), r.stderr);
      assert(!r.stderr.includes("    at "), `no stack trace:\n${r.stderr}`);
    } finally {
      unmountTmpfs(ro);
    }
  },
});

Deno.test({
  name: "a full disk is one line naming the file it could not write, exit 4",
  ignore: !canMount,
  async fn() {
    const tiny = mountTmpfs("size=160k");
    try {
      const r = await runCli(toy(join(tiny, "store"), "--set", "numbers.count=20000"));
      assertEquals(r.code, 4, r.stderr);
      assertMatch(r.stderr, /error\[STORE\]: cannot write .*: the disk is full/);
      assert(!r.stderr.includes("    at "), `no stack trace:\n${r.stderr}`);
    } finally {
      unmountTmpfs(tiny);
    }
  },
});

/** Runs a toy reproduce on a store whose lock names a live `sleep` process, with `lock` fields over it. */
async function runOverPlantedLock(store: string, lock: Record<string, unknown>) {
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    await Deno.writeTextFile(
      join(store, "lock"),
      JSON.stringify({ pid: sleeper.pid, host: hostname(), command: "reproduce", ...lock }),
    );
    return { pid: sleeper.pid, ...(await runCli(toy(store))) };
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
}

Deno.test("a lock naming a live process of another start time (a reused pid) is taken over", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  const r = await runOverPlantedLock(store, {
    started: new Date().toISOString(),
    startTicks: "1",
  });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, new RegExp(`taking over a stale lock .*pid ${r.pid} is another`));
});

Deno.test("gc removes catalog temp files and quarantined artifacts older than the latest run", async () => {
  await using tmp = await scratchDir();
  const { store, squares } = await coldStore(tmp);
  await Deno.remove(join(squares, "note.txt"));
  assertEquals((await runCli(toy(store))).code, 0);
  await Deno.writeTextFile(join(store, "catalog.duckdb.tmp-99999"), "left by a killed rebuild");
  await Deno.writeTextFile(join(store, "catalog.duckdb.tmp-99999.wal"), "");
  // The quarantine is as new as the run that rebuilt it: kept until a later run.
  const keep = JSON.parse((await runCli(["gc", "--json", "--store", store])).stdout);
  assertEquals(
    keep.removed.map((r: { stage: string }) => r.stage).sort(),
    ["catalog-temp", "catalog-temp"],
  );
  assertEquals((await quarantined(store)).length, 1);
  await runCli(toy(store));
  const gone = JSON.parse((await runCli(["gc", "--json", "--store", store])).stdout);
  assertEquals(gone.removed.map((r: { stage: string }) => r.stage), ["quarantine"]);
  assertEquals(await Array.fromAsync(Deno.readDir(join(store, "quarantine"))), []);
});

Deno.test("rerun reasons say a stage failed or was skipped last time, not that gc removed it", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  assertEquals((await runCli(toy(store, "--set", "squares.fail=true"))).code, 1);
  const dry = await runCli(toy(store, "--dry-run"));
  assertMatch(dry.stdout, /stale\s+squares\s+\w+\s+failed last time, and its key changed since/);
  assertMatch(dry.stdout, /stale\s+total\s+\w+\s+skipped last time \(an input failed\)/);
  const same = await runCli(toy(store, "--dry-run", "--set", "squares.fail=true"));
  assertMatch(same.stdout, /stale\s+squares\s+\w+\s+failed last time$/m);
  assert(!dry.stdout.includes("gc"), dry.stdout);
});

Deno.test("a missing manifest, or a file that became a folder, is damage too", async () => {
  await using tmp = await scratchDir();
  for (
    const [damage, reason] of [
      [(d: string) => Deno.remove(join(d, "manifest.json")), /its manifest is missing/],
      [async (d: string) => {
        await Deno.remove(join(d, "note.txt"));
        await Deno.mkdir(join(d, "note.txt"));
      }, /file note\.txt is not a file/],
    ] as const
  ) {
    const { store, squares, files } = await coldStore(tmp);
    await damage(squares);
    const status = await runCli(["status", "--pipeline", TOY_PIPELINE, "--store", store]);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, reason);
    const r = await runCli(toy(store, "--json"));
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, reason);
    assertEquals(await filesOf(await artifactOf(store, "squares")), files);
  }
});

Deno.test("a stage about to run rehashes the reused inputs it reads: one damaged in place is rebuilt first", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  const numbers = join(store, "objects", "numbers");
  const dirs = await Array.fromAsync(Deno.readDir(numbers));
  const before = await Promise.all(dirs.map((d) => filesOf(join(numbers, d.name))));
  for (const d of dirs) await flip(join(numbers, d.name, "numbers.parquet"), (n) => n >> 1);
  const r = await runCli(toy(store, "--json", "--force", "squares"));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /damaged: numbers \(numbers\/\w+\): file numbers\.parquet changed/);
  assert(executedNodes(r.stdout).includes("squares"));
  const after = await Promise.all(dirs.map((d) => filesOf(join(numbers, d.name))));
  assertEquals(after, before);
});

Deno.test("what verify or the catalog moved aside is named as damaged, kept past an immediate gc, and rebuilt even outside --only", async () => {
  await using tmp = await scratchDir();
  const { store, squares, files } = await coldStore(tmp);
  await flip(join(squares, "squares.parquet"), (n) => n >> 1);
  assertEquals((await runCli(["verify", "--store", store])).code, 1);
  const dry = await runCli(toy(store, "--dry-run"));
  assertMatch(
    dry.stdout,
    /stale\s+squares\s+\w+\s+damaged: file squares\.parquet changed .*moved to quarantine\//,
  );
  // --only other leaves squares out, but a damaged artifact is rebuilt all the same.
  const r = await runCli(toy(store, "--json", "--only", "other"));
  assertEquals(r.code, 0, r.stderr);
  assert(executedNodes(r.stdout).includes("squares"), r.stdout);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);

  // A footer the catalog cannot open: quarantined during the run, and a gc right after keeps it.
  await flip(join(await artifactOf(store, "squares"), "squares.parquet"), (n) => n - 4);
  const again = await runCli(toy(store, "--json"));
  assertEquals(again.code, 0, again.stderr);
  const runs = await Array.fromAsync(Deno.readDir(join(store, "runs")));
  assertEquals(runs.length, 3, "one record per command, the retry included");
  await runCli(["gc", "--store", store]);
  // verify's quarantine predates the latest run: gone; the catalog's was made by it: kept.
  const kept = await quarantined(store);
  assertEquals(kept.length, 1);
  assertMatch(kept[0], /table squares cannot be read/);
});

Deno.test("two nodes of one key share one artifact: damage to it is quarantined once", async () => {
  await using tmp = await scratchDir();
  const same = ["--set", "other.seed=1", "--set", "other.count=5"];
  const store = await tmp.subdir();
  assertEquals((await runCli(toy(store, ...same))).code, 0);
  const dirs = await Array.fromAsync(Deno.readDir(join(store, "objects", "numbers")));
  assertEquals(dirs.length, 1, "numbers and other have one key");
  await Deno.remove(join(store, "objects", "numbers", dirs[0].name, "numbers.parquet"));
  const r = await runCli(toy(store, "--json", ...same));
  assertEquals(r.code, 0, r.stderr);
  assertEquals((await quarantined(store)).length, 1);
});

Deno.test("damaged bookkeeping (run records, digest cache) is no crash; a store under a file is one line", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  await Deno.writeTextFile(join(store, "latest", "default.json"), "garbage");
  await Deno.writeTextFile(join(store, "runs", "bad.json"), '{"format": "nope"}');
  await Deno.writeTextFile(join(store, "digests.json"), "{garbage");
  for (const args of [toy(store), ["status", "--pipeline", TOY_PIPELINE, "--store", store]]) {
    const r = await runCli(args);
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stderr.includes("    at "), `no stack trace:\n${r.stderr}`);
  }
  assertEquals((await runCli(["gc", "--store", store])).code, 0);
  const file = join(await tmp.subdir(), "a-file");
  await Deno.writeTextFile(file, "");
  const under = await runCli(toy(join(file, "store")));
  assertEquals(under.code, 4, under.stderr);
  assertMatch(under.stderr, /^error\[STORE\]: .*a-file/m);
  assert(!under.stderr.includes("    at "), `no stack trace:\n${under.stderr}`);
});

Deno.test("a lock of an older dissect (no start time) naming a process younger than it is taken over", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  const r = await runOverPlantedLock(store, { started: "2020-01-01T00:00:00.000Z" });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /taking over a stale lock/);
});

Deno.test("damage in a chain is found to its root: an input of a rebuilt stage is rehashed too", async () => {
  await using tmp = await scratchDir();
  const { store, squares, files } = await coldStore(tmp);
  const numbersDirs = await Array.fromAsync(Deno.readDir(join(store, "objects", "numbers")));
  const numbers = numbersDirs.map((d) => join(store, "objects", "numbers", d.name));
  const before = await Promise.all(numbers.map(filesOf));
  // One readable bit flipped in every numbers table, and squares resized.
  for (const d of numbers) await flip(join(d, "numbers.parquet"), (n) => n >> 1, 1);
  await Deno.truncate(join(squares, "squares.parquet"), 100);
  const r = await runCli(toy(store, "--json", "--force", "total"));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /damaged: squares /);
  assertMatch(r.stderr, /damaged: numbers .*changed since it was written/);
  assertEquals(await Promise.all(numbers.map(filesOf)), before);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);
});

Deno.test("gc refuses when it cannot read what a config keeps; nothing is removed", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  await Deno.writeTextFile(join(store, "latest", "default.json"), "garbage");
  const r = await runCli(["gc", "--store", store]);
  assertEquals(r.code, 4, r.stderr);
  assertMatch(r.stderr, /^error\[STORE\]: gc cannot tell what .*default\.json keeps/m);
  assertEquals((await Array.fromAsync(Deno.readDir(join(store, "objects", "numbers")))).length, 2);
});

Deno.test("folders where the store's files should be, a copied artifact, an artifact turned file: named, no crash", async () => {
  await using tmp = await scratchDir();
  const { store, squares, files } = await coldStore(tmp);
  // A manifest copied into another key's folder: its own key says it is not this artifact.
  const total = await artifactOf(store, "total");
  await Deno.copyFile(join(total, "manifest.json"), join(squares, "manifest.json"));
  const copied = await runCli(toy(store));
  assertEquals(copied.code, 0, copied.stderr);
  assertMatch(copied.stderr, /damaged: squares .*its manifest is that of total\//);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);

  // An artifact folder replaced by a file: verify names it and moves it aside; a run rebuilds it.
  const dir = await artifactOf(store, "squares");
  await Deno.remove(dir, { recursive: true });
  await Deno.writeTextFile(dir, "not a folder");
  const v = await runCli(["verify", "--store", store]);
  assertEquals(v.code, 1, v.stdout + v.stderr);
  assertMatch(v.stdout, /damaged: squares\/\w+: it is a file, not a folder/);
  assertEquals((await runCli(toy(store))).code, 0);
  assertEquals(await filesOf(await artifactOf(store, "squares")), files);

  // The digest cache and the latest record as folders: status works, a run says what it cannot write.
  await Deno.remove(join(store, "digests.json")).catch(() => {});
  await Deno.mkdir(join(store, "digests.json", "x"), { recursive: true });
  await Deno.remove(join(store, "latest", "default.json"));
  await Deno.mkdir(join(store, "latest", "default.json", "x"), { recursive: true });
  const status = await runCli(["status", "--pipeline", TOY_PIPELINE, "--store", store]);
  assertEquals(status.code, 0, status.stderr);
  const run = await runCli(toy(store));
  assertEquals(run.code, 4, run.stderr);
  assertMatch(run.stderr, /^error\[STORE\]: cannot use .*latest\/default\.json/m);
  assert(!run.stderr.includes("    at ") && !status.stderr.includes("    at "), run.stderr);

  // A file where the store's records folder belongs: one line too.
  await Deno.remove(join(store, "latest"), { recursive: true });
  await Deno.writeTextFile(join(store, "latest"), "x");
  const blocked = await runCli(toy(store));
  assertEquals(blocked.code, 4, blocked.stderr);
  assertMatch(
    blocked.stderr,
    /^error\[STORE\]: cannot use .*latest: a file stands where a folder should be/m,
  );
});

Deno.test("a dry run shows what this command would do: forced nodes stale, --only's selection alone", async () => {
  await using tmp = await scratchDir();
  const { store } = await coldStore(tmp);
  const forced = await runCli(toy(store, "--dry-run", "--force", "total"));
  assertMatch(forced.stdout, /stale\s+total\s+\w+\s+forced/);
  assertMatch(forced.stdout, /1 of 4 stage\(s\) would run/);
  const only = await runCli(toy(store, "--dry-run", "--only", "numbers", "--force", "numbers"));
  assertMatch(only.stdout, /1 of 1 stage\(s\) would run/);
  // Several stages after one --only, as after several.
  for (const args of [["--only", "squares", "other"], ["--only", "squares", "--only", "other"]]) {
    const both = await runCli(toy(store, "--dry-run", ...args));
    assertMatch(both.stdout, /\bother\b/, args.join(" "));
    assertMatch(both.stdout, /\bsquares\b/, args.join(" "));
    assertEquals(/\btotal\b/.test(both.stdout), false, args.join(" "));
  }
  // A stray argument is refused, not ignored.
  const stray = await runCli(toy(store, "--dry-run", "--store", store, "squares"));
  assertEquals(stray.code, 2);
  assertMatch(stray.stderr, /unexpected argument "squares" after reproduce/);
});
