/**
 * Dissection overhead: for one conv layer of the zoo classifier over a val
 * split, the forward pass (the activations stage) against what dissection
 * adds (quantile + iou + top-k images), timed as the real stages run.
 * Target: dissection adds at most 25% to the forward time.
 */
import { join } from "node:path";
import { type Benchmark } from "./harness.ts";
import { PROJECT_ROOT } from "../engine/paths.ts";
import type { Manifest } from "../schemas/manifest.ts";

const IMAGES = 600;

export const dissection: Benchmark = {
  name: "dissection",
  description: `conv5_3 over ${IMAGES} val images: quantile + iou + top-k vs the forward pass`,
  async run() {
    const store = await Deno.makeTempDir({ prefix: "dissect-bench-" });
    const config = join(store, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({ name: "bench", world: { counts: { val: IMAGES } } }),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(PROJECT_ROOT, "dissect.ts"),
        "reproduce",
        "--config",
        config,
        "--store",
        join(store, "s"),
        "--only",
        "iou-val",
        "--set",
        'activations-val.layers=["conv5_3"]',
        "--concurrency",
        "1",
        "--json",
      ],
      cwd: PROJECT_ROOT,
      stderr: "inherit",
    }).output();
    if (out.code !== 0) throw new Error("the bench pipeline failed (are the zoo models present?)");
    const run = JSON.parse(new TextDecoder().decode(out.stdout)).run as {
      nodes: { node: string; stage: string; key: string }[];
    };
    const duration = async (node: string) => {
      const n = run.nodes.find((x) => x.node === node)!;
      const m: Manifest = JSON.parse(
        await Deno.readTextFile(join(store, "s", "objects", n.stage, n.key, "manifest.json")),
      );
      return m.durationMs / 1000;
    };
    const forward = await duration("activations-val");
    const dissect = (await duration("quantile-val")) + (await duration("iou-val"));
    await Deno.remove(store, { recursive: true });
    return {
      metrics: {
        forward_s: forward,
        dissection_s: dissect,
        forward_images_per_s: IMAGES / forward,
        dissection_images_per_s: IMAGES / dissect,
      },
      ratio: { name: "dissection / forward", value: dissect / forward, max: 0.25 },
    };
  },
};
