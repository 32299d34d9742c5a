/**
 * Runs the real pipeline (subprocesses, a fresh store) and returns how long
 * each executed stage took, from the artifacts' manifests, and each run's
 * peak memory: benchmarks time the stages exactly as a user runs them.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../engine/paths.ts";
import type { Manifest } from "../schemas/manifest.ts";

/** One timed run of the pipeline: stage seconds, peak memory, artifact folders. */
export interface PipelineRun {
  /** Seconds per executed stage, by node name. */
  seconds: Record<string, number>;
  /** Peak resident memory of the process that ran them. */
  peakRssBytes: number;
  /** The artifact directory of every node of the run (executed or reused). */
  dirs: Record<string, string>;
}

/**
 * One `reproduce` per argument list, in order, on one fresh store; `inspect`
 * sees the runs while their artifacts still exist.
 */
export async function pipelineRuns(
  config: Record<string, unknown>,
  runs: string[][],
  inspect?: (runs: PipelineRun[]) => Promise<void>,
): Promise<PipelineRun[]> {
  const dir = await Deno.makeTempDir({ prefix: "dissect-bench-" });
  try {
    const configPath = join(dir, "config.json");
    await Deno.writeTextFile(configPath, JSON.stringify(config));
    const out: PipelineRun[] = [];
    for (const args of runs) out.push(await runOnce(configPath, join(dir, "store"), args));
    await inspect?.(out);
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Seconds per executed stage of one run on a fresh store. */
export async function stageSeconds(
  config: Record<string, unknown>,
  args: string[],
): Promise<Record<string, number>> {
  return (await pipelineRuns(config, [args]))[0].seconds;
}

/**
 * One `reproduce` of a config file on a store, timed stage by stage from the
 * manifests; one stage at a time unless `concurrency` says otherwise (null:
 * the command's default).
 */
export async function runOnce(
  configPath: string,
  store: string,
  args: string[],
  opts: { concurrency?: number | null } = {},
): Promise<PipelineRun> {
  const concurrency = opts.concurrency === null
    ? []
    : ["--concurrency", `${opts.concurrency ?? 1}`];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(PROJECT_ROOT, "dissect.ts"),
      "reproduce",
      "--config",
      configPath,
      "--store",
      store,
      ...concurrency,
      "--json",
      ...args,
    ],
    cwd: PROJECT_ROOT,
    stderr: "inherit",
  }).output();
  if (out.code !== 0) throw new Error("the benchmark's pipeline run failed (see above)");
  const result = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    run: { nodes: { node: string; stage: string; key: string; status: string }[] };
    peakRssBytes: number;
  };
  const seconds: Record<string, number> = {}, dirs: Record<string, string> = {};
  for (const n of result.run.nodes) {
    dirs[n.node] = join(store, "objects", n.stage, n.key);
    if (n.status !== "executed") continue;
    const m: Manifest = JSON.parse(await Deno.readTextFile(join(dirs[n.node], "manifest.json")));
    seconds[n.node] = m.durationMs / 1000;
  }
  return { seconds, peakRssBytes: result.peakRssBytes, dirs };
}
