/**
 * Runs the real pipeline (a subprocess, a fresh store) and returns how long
 * each executed stage took, from the artifacts' manifests: benchmarks time
 * the stages exactly as a user runs them.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../engine/paths.ts";
import type { Manifest } from "../schemas/manifest.ts";

export async function stageSeconds(
  config: Record<string, unknown>,
  args: string[],
): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "dissect-bench-" });
  try {
    const configPath = join(dir, "config.json");
    await Deno.writeTextFile(configPath, JSON.stringify(config));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(PROJECT_ROOT, "dissect.ts"),
        "reproduce",
        "--config",
        configPath,
        "--store",
        join(dir, "store"),
        "--concurrency",
        "1",
        "--json",
        ...args,
      ],
      cwd: PROJECT_ROOT,
      stderr: "inherit",
    }).output();
    if (out.code !== 0) throw new Error("the benchmark's pipeline run failed (see above)");
    const run = JSON.parse(new TextDecoder().decode(out.stdout)).run as {
      nodes: { node: string; stage: string; key: string; status: string }[];
    };
    const seconds: Record<string, number> = {};
    for (const n of run.nodes.filter((n) => n.status === "executed")) {
      const m: Manifest = JSON.parse(
        await Deno.readTextFile(join(dir, "store", "objects", n.stage, n.key, "manifest.json")),
      );
      seconds[n.node] = m.durationMs / 1000;
    }
    return seconds;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
