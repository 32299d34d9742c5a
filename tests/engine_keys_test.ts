/**
 * Keys: equal inputs give equal keys across processes; a change to a
 * parameter, to stage code or a module it imports, or to an input file
 * changes that stage's key and its dependents' keys, and no other.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { copyToy, runCli, scratchDir, TOY_PIPELINE } from "./helpers.ts";

async function keys(pipeline: string, store: string, extra: string[] = [], env = {}) {
  const r = await runCli(
    ["reproduce", "--dry-run", "--json", "--pipeline", pipeline, "--store", store, ...extra],
    env,
  );
  assertEquals(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout).plan as { id: string; key: string }[];
  return Object.fromEntries(plan.map((p) => [p.id, p.key]));
}

function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((k) => a[k] !== b[k]).sort();
}

Deno.test("same inputs give the same keys in two processes", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const a = await keys(TOY_PIPELINE, store);
  const b = await keys(TOY_PIPELINE, await tmp.subdir());
  assertEquals(a, b);
});

Deno.test("a parameter change moves exactly that stage and its dependents", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const base = await keys(TOY_PIPELINE, store);
  assertEquals(
    changed(base, await keys(TOY_PIPELINE, store, ["--set", "numbers.count=9"])),
    ["numbers", "squares", "total"],
  );
  assertEquals(changed(base, await keys(TOY_PIPELINE, store, ["--set", "squares.sleepMs=1"])), [
    "squares",
    "total",
  ]);
  assertEquals(changed(base, await keys(TOY_PIPELINE, store, ["--set", "other.count=4"])), [
    "other",
  ]);
});

Deno.test("a code change in a stage or an imported module moves its key and dependents only", async () => {
  await using tmp = await scratchDir();
  const dir = await copyToy();
  try {
    const store = await tmp.subdir();
    const pipeline = join(dir, "pipeline.ts");
    const base = await keys(pipeline, store);
    // squares.ts is imported only by the squares stage
    await Deno.writeTextFile(
      join(dir, "squares.ts"),
      (await Deno.readTextFile(join(dir, "squares.ts"))) + "\n// edited\n",
    );
    const afterStage = await keys(pipeline, store);
    assertEquals(changed(base, afterStage), ["squares", "total"]);
    // math.ts is imported by numbers.ts, used by both "numbers" and "other"
    await Deno.writeTextFile(
      join(dir, "math.ts"),
      (await Deno.readTextFile(join(dir, "math.ts"))) + "\n// edited\n",
    );
    assertEquals(changed(afterStage, await keys(pipeline, store)), [
      "numbers",
      "other",
      "squares",
      "total",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an input file's content moves the key of the stage reading it", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const file = join(await tmp.subdir(), "extra.txt");
  await Deno.writeTextFile(file, "1 2 3\n");
  const base = await keys(TOY_PIPELINE, store, [], { TOY_FILE: file });
  await Deno.writeTextFile(file, "1 2 4\n");
  assertEquals(changed(base, await keys(TOY_PIPELINE, store, [], { TOY_FILE: file })), ["total"]);
});
