/**
 * Store or recompute: the smoke world dissected with every layer stored, and
 * again with a disk budget of zero (nothing stored: quantile, iou and the
 * unit classifiers compute every layer again, in 3 shards), gives the same
 * tables; only the layers tables say what was stored.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import {
  catalogRows,
  differingViews,
  executedNodes,
  reproduceArgs,
  runCli,
  tempDir,
} from "./helpers.ts";

const DISSECTIONS = [
  "iou-val",
  "iou-val-control",
  "unit-classifier",
  "iou-gan",
  "iou-gan-control",
  "gan-unit-classifier",
];

Deno.test({
  name: "store or recompute: a zero disk budget stores no activations and gives the same tables",
  sanitizeResources: false,
  async fn() {
    const dir = await tempDir();
    try {
      const store = join(dir, "store");
      const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
      const run = async (name: string, extra: Record<string, unknown>) => {
        const path = join(dir, `${name}.json`);
        await Deno.writeTextFile(path, JSON.stringify({ ...smoke, ...extra }));
        const only = DISSECTIONS.flatMap((n) => ["--only", n]);
        const r = await runCli(reproduceArgs(path, store, "--json", ...only));
        assertEquals(r.code, 0, r.stderr);
        return r;
      };
      await run("stored", {});
      const stored = join(dir, "stored");
      await Deno.mkdir(stored);
      await Deno.copyFile(join(store, "catalog.duckdb"), join(stored, "catalog.duckdb"));
      const layers = (s: string) =>
        catalogRows<{ stored: boolean; n: number }>(
          s,
          "SELECT stored, count(*) AS n FROM activations_val__layers GROUP BY ALL",
        );
      assertEquals(await layers(store), [{ stored: true, n: 13 }]);

      const recomputed = await run("recomputed", {
        activations: { budgetGiB: 0 },
        executor: { kind: "local", shards: 3 },
      });
      // The data and segmentations are reused; every activations node and what reads it ran again.
      const executed = executedNodes(recomputed.stdout);
      assert(executed.includes("activations-val") && executed.includes("iou-gan"), executed.join());
      assert(!executed.includes("segment-val") && !executed.includes("world-val"), executed.join());
      assert(/over the disk budget of 0 B: not stored/.test(recomputed.stderr), recomputed.stderr);
      assertEquals(await layers(store), [{ stored: false, n: 13 }]);

      const { compared, differing } = await differingViews(stored, store);
      assert(compared > 20, `${compared} views compared`);
      assertEquals(
        differing.filter((v) => !/^activations_[a-z_]+__layers /.test(v)),
        [],
        "tables differ between stored and recomputed activations",
      );
      // No activation files were written.
      const { run: record } = JSON.parse(recomputed.stdout);
      const acts = record.nodes.find((n: { node: string }) => n.node === "activations-val");
      const files = [...Deno.readDirSync(join(store, "objects", "activations", acts.key))];
      assertEquals(files.filter((f) => f.name.endsWith(".f32")), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
