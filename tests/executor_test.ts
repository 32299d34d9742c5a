/**
 * One suite for every executor (local, and Slurm on a real cluster): the toy
 * pipeline's sharded stage split into 3 gives the unsharded tables and keys,
 * a warm rerun runs nothing, a shard that fails once is run again with the
 * same result, and one that always fails fails the stage by name and
 * publishes nothing. Then what only a cluster has: SIGTERM to the
 * coordinator leaves no job in the queue, and jobs left by a SIGKILLed
 * coordinator are cancelled by the next run. The Slurm half needs `sbatch`
 * and a running cluster (`tests/slurm/cluster.sh up`, as .ci/run does); without it
 * it is skipped with that message.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import {
  catalogRows,
  cliCommand,
  copyToy,
  executedNodes,
  runCli,
  scratchDir,
  toyReproduce,
} from "./helpers.ts";
import type { ExecutorConfig } from "../engine/executor.ts";
import { clusterIsUp, jobPrefix } from "../engine/slurm.ts";
import { exists } from "../engine/fs_atomic.ts";

const hasSlurm = await clusterIsUp();
if (!hasSlurm) {
  console.error(
    "executor_test: no running Slurm cluster (sinfo); the Slurm half is skipped. " +
      "Run `tests/slurm/cluster.sh up` (as root) to run it.",
  );
}

async function configFile(dir: string, executor: ExecutorConfig | Record<string, unknown>) {
  const path = join(dir, "config.json");
  await Deno.writeTextFile(path, JSON.stringify({ name: "toy", executor }));
  return path;
}

async function squares(store: string) {
  return await catalogRows<{ i: number; square: number }>(
    store,
    "SELECT i, square FROM squares__squares ORDER BY i",
  );
}

function contract(kind: "local" | "slurm", executor: Record<string, unknown>) {
  const ignore = kind === "slurm" && !hasSlurm;
  const run = async (store: string, extra: Record<string, unknown>, env = {}, ...args: string[]) =>
    await runCli(
      [
        ...toyReproduce(
          store,
          "--json",
          "--config",
          await configFile(store, { ...executor, ...extra }),
        ),
        ...args,
      ],
      env,
    );

  Deno.test({
    name:
      `${kind} executor: 3 shards give the unsharded tables and keys; a warm rerun runs nothing`,
    ignore,
    async fn() {
      await using tmp = await scratchDir();
      const [one, three] = [await tmp.subdir(), await tmp.subdir()];
      const a = await runCli(toyReproduce(one, "--json"));
      assertEquals(a.code, 0, a.stderr);
      const b = await run(three, { shards: 3 });
      assertEquals(b.code, 0, b.stderr);
      assert(b.stderr.includes(`squares: 5 items in 3 shards (${kind})`), b.stderr);
      assertEquals(await squares(three), await squares(one));
      const keys = (out: string) =>
        JSON.parse(out).run.nodes.map((n: { node: string; key: string }) => [n.node, n.key]);
      assertEquals(keys(b.stdout), keys(a.stdout), "the executor is not part of any key");
      const again = await run(three, { shards: 3 });
      assertEquals(again.code, 0, again.stderr);
      assertEquals(executedNodes(again.stdout), []);
      assert(!again.stderr.includes("submitted"), again.stderr);
    },
  });

  Deno.test({
    name: `${kind} executor: a shard that fails once is run again, and the result is the same`,
    ignore,
    async fn() {
      await using tmp = await scratchDir();
      const [one, three] = [await tmp.subdir(), await tmp.subdir()];
      assertEquals((await runCli(toyReproduce(one))).code, 0);
      const r = await run(three, { shards: 3, retries: 1 }, { DISSECT_TEST_FAULT: "squares:1:1" });
      assertEquals(r.code, 0, r.stderr);
      assert(/shard 1 \(of 0-2\) (failed|ended)/.test(r.stderr), r.stderr);
      assertEquals(await squares(three), await squares(one));
    },
  });

  Deno.test({
    name: `${kind} executor: a shard that always fails fails its stage by name, publishing nothing`,
    ignore,
    async fn() {
      await using tmp = await scratchDir();
      const store = await tmp.subdir();
      const r = await run(store, { shards: 3, retries: 1 }, {
        DISSECT_TEST_FAULT: "squares:2:always",
      });
      assertEquals(r.code, 1, r.stderr);
      const failed = JSON.parse(r.stdout).run.nodes.find((n: { node: string }) =>
        n.node === "squares"
      );
      assertEquals(failed.status, "failed");
      assert(failed.error.includes("injected fault"), failed.error);
      if (kind === "slurm") {
        assert(
          /shard 2 \(of 0-2\) of squares failed 2 time\(s\) on Slurm/.test(failed.error),
          failed.error,
        );
        // The log outlives the job's folder, and its last lines are in the message.
        const log = /log: (\S+)/.exec(failed.error)![1];
        assert(log.startsWith(join(store, "logs")), log);
        assert((await Deno.readTextFile(log)).includes("injected fault"), log);
      }
      const published = await Array.fromAsync(Deno.readDir(join(store, "objects"))).then(
        (es) => es.map((e) => e.name),
      );
      assert(!published.includes("squares") && !published.includes("total"), published.join());
      const left = (await Array.fromAsync(Deno.readDir(join(store, "tmp"))))
        .filter((e) => e.name.startsWith("shards-"));
      assertEquals(left.length, 0, "the job's partials are removed");
    },
  });
}

contract("local", { kind: "local" });
contract("slurm", { kind: "slurm", pollSeconds: 0.5 });

/** Jobs of a store in the queue; with `drained`, waits (up to 20 s) for cancelled ones to leave. */
async function queued(store: string, drained = false): Promise<string[]> {
  const prefix = await jobPrefix(await Deno.realPath(store));
  for (let waited = 0;; waited += 500) {
    const out = await new Deno.Command("squeue", { args: ["-h", "-o", "%A %j"] }).output();
    const jobs = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes(prefix));
    if (!drained || !jobs.length || waited >= 20_000) return jobs;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Starts a CLI run and waits until it has submitted an array; what it said so far in `seen`. */
async function untilSubmitted(args: string[]) {
  const child = cliCommand(args).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/submitted shard/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the run ended before submitting: ${seen}`);
    seen += value;
  }
  return { child, reader, seen };
}

/** Starts a slow Slurm run of the toy pipeline and waits until its array is submitted. */
async function slowRun(store: string) {
  const config = await configFile(store, { kind: "slurm", shards: 3, pollSeconds: 0.5 });
  return await untilSubmitted(
    toyReproduce(store, "--config", config, "--set", "squares.sleepMs=30000"),
  );
}

Deno.test({
  name: "slurm executor: SIGTERM to the coordinator leaves no job in the queue",
  ignore: !hasSlurm,
  sanitizeResources: false,
  async fn() {
    await using tmp = await scratchDir();
    const store = await Deno.realPath(await tmp.subdir());
    const { child, reader } = await slowRun(store);
    assert((await queued(store)).length > 0, "the array is queued");
    child.kill("SIGTERM");
    const status = await child.status;
    await reader.cancel();
    assertEquals(status.code, 143);
    assertEquals(await queued(store, true), []);
  },
});

Deno.test({
  name:
    "slurm executor: jobs a SIGKILLed coordinator left are cancelled by the next run, through a link too",
  ignore: !hasSlurm,
  sanitizeResources: false,
  async fn() {
    await using tmp = await scratchDir();
    const store = await Deno.realPath(await tmp.subdir());
    // The killed run reached the store through a link: the same store, so the same jobs.
    const link = `${store}-link`;
    await Deno.symlink(store, link);
    const { child, reader } = await slowRun(link);
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    assert((await queued(store)).length > 0, "the killed coordinator's jobs are still queued");
    const config = await configFile(store, { kind: "slurm", shards: 3, pollSeconds: 0.5 });
    const next = await runCli(toyReproduce(store, "--config", config));
    assertEquals(next.code, 0, next.stderr);
    assert(/cancelled \d+ Slurm job\(s\) left by an earlier run/.test(next.stderr), next.stderr);
    assertEquals(await queued(store, true), []);
  },
});

Deno.test({
  name:
    "slurm executor: a store path with a space works; options sbatch refuses are one line before anything runs",
  ignore: !hasSlurm,
  async fn() {
    await using tmp = await scratchDir();
    const store = join(await tmp.subdir(), "my store");
    await Deno.mkdir(store);
    const ok = await runCli(
      toyReproduce(store, "--config", await configFile(store, { kind: "slurm", shards: 2 })),
    );
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals((await squares(store)).length, 5);
    const bad = await tmp.subdir();
    const config = await configFile(bad, { kind: "slurm", partition: "no-such-partition" });
    const r = await runCli(toyReproduce(bad, "--json", "--config", config));
    assertEquals(r.code, 2, r.stderr);
    assert(
      /sbatch refuses jobs with the executor's options: .*partition/i.test(r.stderr),
      r.stderr,
    );
    assert(!(await exists(join(bad, "objects"))), "nothing ran");
    const extra = await configFile(bad, { kind: "slurm", extra: ["--bogus"] });
    const e = await runCli(toyReproduce(bad, "--config", extra));
    assert(/sbatch: unrecognized option '--bogus'/.test(e.stderr), e.stderr);
  },
});

Deno.test({
  name:
    "slurm executor: a shard whose key changed after submission fails its stage at once, not resubmitted",
  ignore: !hasSlurm,
  sanitizeResources: false,
  async fn() {
    await using tmp = await scratchDir();
    const store = await Deno.realPath(tmp.path);
    const path = join(store, "config.json");
    const write = (sleepMs: number) =>
      Deno.writeTextFile(
        path,
        JSON.stringify({
          name: "toy",
          // Held at submission, so the config can change before the shards plan.
          executor: { kind: "slurm", shards: 2, pollSeconds: 0.5, extra: ["--hold"], retries: 2 },
          stages: { squares: { sleepMs } },
        }),
      );
    await write(1);
    const run = await untilSubmitted(toyReproduce(store, "--config", path));
    const { child, reader } = run;
    let seen = run.seen;
    await write(2);
    for (const line of await queued(store)) {
      await new Deno.Command("scontrol", { args: ["release", line.split(" ")[0]] }).output();
    }
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assertEquals((await child.status).code, 1, seen);
    assert(/its key is now \w+, not the submitted/.test(seen), seen);
    assert(!/resubmitting/.test(seen), seen);
    assertEquals(await queued(store, true), []);
  },
});

Deno.test("slurm executor where Slurm is not installed: one line naming the missing command, exit 2", async () => {
  await using tmp = await scratchDir();
  const store = await tmp.subdir();
  const config = await configFile(store, { kind: "slurm" });
  const r = await runCli(toyReproduce(store, "--config", config), { PATH: "/nonexistent" });
  assertEquals(r.code, 2, r.stderr);
  assert(/executor.kind is "slurm" but \w+ is not on PATH/.test(r.stderr), r.stderr);
  assertEquals(
    r.stderr.trim().split("\n").filter((l) => l.startsWith("error")).length,
    1,
    r.stderr,
  );
});

Deno.test("two nodes of one key, sharded at once, each merge their own partials", async () => {
  await using tmp = await scratchDir();
  const dir = await copyToy();
  try {
    const pipeline = join(dir, "pipeline.ts");
    const text = await Deno.readTextFile(pipeline);
    await Deno.writeTextFile(
      pipeline,
      text.replace(
        'p.add("other"',
        'p.add("squares-again", squares, { inputs: { numbers: n } });\n  p.add("other"',
      ),
    );
    const store = await tmp.subdir();
    const config = await configFile(store, { kind: "local", shards: 3 });
    const r = await runCli([
      "reproduce",
      "--pipeline",
      pipeline,
      "--store",
      store,
      "--config",
      config,
      "--concurrency",
      "2",
      "--set",
      "squares.sleepMs=100",
      "--set",
      "squares-again.sleepMs=100",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stderr.includes("squares-again: 5 items in 3 shards"), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
