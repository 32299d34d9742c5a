/**
 * Runs: reuse, minimal reruns, explanations, crash safety, the store lock,
 * determinism and bad input.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  cliCommand,
  executedNodes,
  runCli,
  scratchDir,
  TOY_PIPELINE,
  toyReproduce,
} from "./helpers.ts";

const toy = toyReproduce;

/** Wait until a stage's temporary run folder appears: the stage is running. */
async function waitForTmp(store: string, prefix: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const names = await Array.fromAsync(Deno.readDir(join(store, "tmp")))
      .then((es) => es.map((e) => e.name), () => [] as string[]);
    if (names.some((n) => n.startsWith(prefix))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`stage folder ${prefix}* never appeared in ${store}/tmp`);
}

async function published(store: string, stage: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(join(store, "objects", stage))) out.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

Deno.test("a second run executes nothing; one parameter reruns exactly its stage and dependents", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const first = await runCli(toy(store, "--json"));
  assertEquals(first.code, 0, first.stderr);
  assertEquals(executedNodes(first.stdout), ["numbers", "other", "squares", "total"]);
  const second = await runCli(toy(store, "--json"));
  assertEquals(executedNodes(second.stdout), []);
  const third = await runCli(toy(store, "--json", "--set", "squares.sleepMs=1"));
  assertEquals(executedNodes(third.stdout), ["squares", "total"]);
});

Deno.test("--dry-run explains which parameter changed from what to what", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  assertEquals((await runCli(toy(store))).code, 0);
  const r = await runCli(toy(store, "--dry-run", "--set", "numbers.count=7"));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /stale\s+numbers\s+\w+\s+parameter count changed from 5 to 7/);
  assertMatch(r.stdout, /stale\s+squares\s+\w+\s+input numbers \(from numbers\) changed/);
  assertMatch(r.stdout, /fresh\s+other/);
  assertEquals(await published(store, "squares").then((a) => a.length), 1, "dry run ran nothing");
  const status = await runCli(["status", "--pipeline", TOY_PIPELINE, "--store", store]);
  assertMatch(status.stdout, /last run .* \(ok\)/);
  assertMatch(status.stdout, /0 of 4 stage\(s\) would run/);
});

Deno.test("a stage that throws publishes nothing and blocks its dependents; the next run completes", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const bad = await runCli(toy(store, "--json", "--set", "squares.fail=true"));
  assertEquals(bad.code, 1);
  const run = JSON.parse(bad.stdout).run;
  const status = Object.fromEntries(
    run.nodes.map((n: { node: string; status: string }) => [n.node, n.status]),
  );
  assertEquals(status, {
    numbers: "executed",
    other: "executed",
    squares: "failed",
    total: "skipped",
  });
  assertEquals(await published(store, "squares"), []);
  assertMatch(bad.stderr, /squares was told to fail/);
  const good = await runCli(toy(store, "--json"));
  assertEquals(good.code, 0, good.stderr);
  assertEquals(executedNodes(good.stdout), ["squares", "total"]);
});

Deno.test("SIGKILL mid-stage leaves nothing published; the next run takes the stale lock and completes", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const child = cliCommand(toy(store, "--set", "squares.sleepMs=400")).spawn();
  // Wait until squares is running (its temporary folder exists).
  await waitForTmp(store, "squares-");
  child.kill("SIGKILL");
  await child.output().catch(() => {});
  assertEquals(await published(store, "squares"), [], "killed stage is not published");
  assert(await Deno.stat(join(store, "lock")).then(() => true), "the dead run's lock remains");
  const next = await runCli(toy(store, "--json", "--set", "squares.sleepMs=400"));
  assertEquals(next.code, 0, next.stderr);
  assertMatch(next.stderr, /taking over a stale lock/, next.stderr);
  assertMatch(next.stderr, /removed \d+ unfinished run folder/, next.stderr);
  assert(executedNodes(next.stdout).includes("squares"));
});

Deno.test("a second run on a busy store is refused by name, or waits with --wait", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const first = cliCommand(toy(store, "--set", "squares.sleepMs=300")).spawn();
  const lock = join(store, "lock");
  for (let i = 0; i < 200 && !(await Deno.stat(lock).then(() => true, () => false)); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const refused = await runCli(toy(store));
  assertEquals(refused.code, 3);
  assertMatch(refused.stderr, /error\[STORE_LOCKED\]: the store .* is in use by pid \d+/);
  const waited = await runCli(toy(store, "--wait", "--json", "--set", "squares.sleepMs=300"));
  assertEquals(waited.code, 0, waited.stderr);
  assertEquals((await first.output()).code, 0);
  // Both runs wanted the same artifacts: one published them, the other reused them.
  assertEquals(executedNodes(waited.stdout), []);
  assertEquals((await published(store, "squares")).length, 1);
});

Deno.test("a file changed while its stage runs is detected and the result not recorded", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const file = join(await tmp.subdir(), "extra.txt");
  await Deno.writeTextFile(file, "1 2 3\n");
  const child = cliCommand(toy(store, "--set", "total.sleepMs=1500"), { TOY_FILE: file }).spawn();
  await waitForTmp(store, "total-");
  await new Promise((r) => setTimeout(r, 200));
  await Deno.writeTextFile(file, "1 2 3 4\n");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 1, stderr);
  assertMatch(stderr, /INPUT_CHANGED/);
  assertEquals(await published(store, "total"), []);
});

Deno.test("two cold runs into two stores give identical tables", async () => {
  await using tmp = await scratchDir();
  const [a, b] = [await tmp.subdir(), await tmp.subdir()];
  assertEquals((await runCli(toy(a))).code, 0);
  assertEquals((await runCli(toy(b))).code, 0);
  for (const stage of ["numbers", "squares", "total"]) {
    const [ka] = await published(a, stage);
    const [kb] = await published(b, stage);
    assertEquals(ka, kb);
    const file = `${stage}.parquet`;
    const rowsA = await tableRows(join(a, "objects", stage, ka, file));
    const rowsB = await tableRows(join(b, "objects", stage, kb, file));
    assertEquals(rowsA, rowsB);
    assert(rowsA.length > 0);
  }
});

async function tableRows(path: string) {
  const { queryRows, sqlString } = await import("../engine/duck.ts");
  return await queryRows(`SELECT * FROM read_parquet(${sqlString(path)})`);
}

Deno.test("gc keeps the latest run's artifacts and frees the rest", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  assertEquals((await runCli(toy(store))).code, 0);
  assertEquals((await runCli(toy(store, "--set", "numbers.count=6"))).code, 0);
  const r = await runCli(["gc", "--json", "--store", store]);
  assertEquals(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assertEquals(
    result.removed.map((x: { stage: string }) => x.stage).sort(),
    ["numbers", "squares", "total"],
  );
  assert(result.freedBytes > 0);
  const again = await runCli(toy(store, "--json", "--set", "numbers.count=6"));
  assertEquals(executedNodes(again.stdout), []);
});

Deno.test("bad input gets an error naming the field or path, and a non-zero exit", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const unknown = await runCli(toy(store, "--set", "nosuch.count=1"));
  assertEquals(unknown.code, 2);
  assertMatch(unknown.stderr, /unknown stage "nosuch"/);
  assertMatch(unknown.stderr, /known stages: numbers, squares, total, other/);

  const wrongType = await runCli(toy(store, "--set", 'numbers.count="many"'));
  assertEquals(wrongType.code, 2);
  assertMatch(wrongType.stderr, /stages\.numbers\.count: /);

  const unknownParam = await runCli(toy(store, "--set", "numbers.cuont=3"));
  assertEquals(unknownParam.code, 2);
  assertMatch(unknownParam.stderr, /stages\.numbers\.cuont/);

  const missing = await runCli(toy(store), { TOY_FILE: "/nonexistent/extra.txt" });
  assertEquals(missing.code, 2);
  assertMatch(missing.stderr, /file not found: \/nonexistent\/extra\.txt/);

  const dir = await tmp.subdir();
  await Deno.writeTextFile(join(dir, "broken.json"), "{ not json");
  const broken = await runCli(toy(store, "--config", join(dir, "broken.json")));
  assertEquals(broken.code, 2);
  assertMatch(broken.stderr, /broken\.json: not valid JSON/);

  await Deno.writeTextFile(join(dir, "typo.json"), JSON.stringify({ world: { sede: 3 } }));
  const typo = await runCli(toy(store, "--config", join(dir, "typo.json")));
  assertEquals(typo.code, 2);
  assertMatch(typo.stderr, /typo\.json: world\.sede/);

  const usage = await runCli(["reproduce", "--bogus"]);
  assertEquals(usage.code, 2);
  // None of this left a published artifact or a lock behind.
  assertEquals(await published(store, "numbers"), []);
});

Deno.test("a run with --only keeps the other stages' last results: gc removes none of them", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  assertEquals((await runCli(toy(store))).code, 0);
  const only = await runCli(toy(store, "--only", "numbers", "--set", "other.count=4"));
  assertEquals(only.code, 0, only.stderr);
  // The summary speaks of this command only: numbers reused, nothing else run.
  assertMatch(only.stdout, /ok: 0 stage\(s\) executed, 1 reused/);
  const r = await runCli(["gc", "--json", "--store", store]);
  assertEquals(JSON.parse(r.stdout).removed, []);
  const plan = await runCli(toy(store, "--dry-run"));
  assertMatch(plan.stdout, /0 of 4 stage\(s\) would run/);
});

Deno.test("a figure that fails to draw is logged and left out; the stage's tables are published", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const r = await runCli(toy(store, "--json", "--set", "squares.figureFails=true"));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /squares: figure plot\.png not drawn: the plot was told to fail/);
  assert(executedNodes(r.stdout).includes("squares"));
  const [dir] = await published(store, "squares");
  const files = await Array.fromAsync(Deno.readDir(join(store, "objects", "squares", dir)));
  assertEquals(files.map((f) => f.name).sort(), ["manifest.json", "note.txt", "squares.parquet"]);
});
