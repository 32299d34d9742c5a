/**
 * The real pipeline on the smoke world (configs/smoke.json), end to end:
 * two cold runs into two stores, the second with every sharded stage split
 * into (up to) 3 local shards, produce the same keys, the same tables and, for the
 * sharded stages, the same files,
 * a rerun executes nothing, and an artifact damaged in place is found by
 * verify and rebuilt to the other store's bytes.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { executedNodes, runCli, tempDir } from "./helpers.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { queryRows, sqlString } from "../engine/duck.ts";
import type { RunRecord } from "../schemas/manifest.ts";

const smoke = (store: string, ...args: string[]) => [
  "reproduce",
  "--config",
  args[0]?.endsWith(".json") ? args.shift()! : "configs/smoke.json",
  "--store",
  store,
  "--json",
  ...args,
];

Deno.test({
  name:
    "smoke run: the same across two cold stores and 1 or 3 shards, and a rerun executes nothing",
  sanitizeResources: false,
  async fn() {
    const [a, b] = [await tempDir(), await tempDir()];
    try {
      const runA = await runCli(smoke(a));
      assertEquals(runA.code, 0, runA.stderr);
      const threeShards = join(b, "smoke-3-shards.json");
      const config = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
      await Deno.writeTextFile(
        threeShards,
        JSON.stringify({ ...config, executor: { kind: "local", shards: 3 } }),
      );
      const runB = await runCli(smoke(b, threeShards));
      assertEquals(runB.code, 0, runB.stderr);
      // Every sharded stage says so; these at least are.
      const sharded = new Set(
        [...runB.stderr.matchAll(/^ {2}(\S+): \d+ items in \d+ shards \(local\)$/gm)].map((m) =>
          m[1]
        ),
      );
      for (const node of ["activations-val", "iou-val", "classify-val"]) {
        assert(sharded.has(node), runB.stderr);
      }
      const nodesA = (JSON.parse(runA.stdout).run as RunRecord).nodes;
      const nodesB = (JSON.parse(runB.stdout).run as RunRecord).nodes;
      assertEquals(nodesA.map((n) => [n.node, n.key]), nodesB.map((n) => [n.node, n.key]));
      assert(nodesA.length >= 2);

      for (const n of nodesA) {
        const manifest = JSON.parse(
          await Deno.readTextFile(join(a, "objects", n.stage, n.key, "manifest.json")),
        );
        for (const table of Object.keys(manifest.tables)) {
          const read = (store: string) =>
            queryRows(
              `SELECT * FROM read_parquet(${
                sqlString(join(store, "objects", n.stage, n.key, `${table}.parquet`))
              }) ORDER BY ALL`,
            );
          assertEquals(await read(a), await read(b), `${n.node}.${table} differs between stores`);
        }
        if (sharded.has(n.node)) {
          const files = (store: string) =>
            Deno.readTextFile(join(store, "objects", n.stage, n.key, "manifest.json"))
              .then((m) => JSON.parse(m).files);
          assertEquals(await files(a), await files(b), `${n.node}: its files differ when sharded`);
        }
      }

      const again = await runCli(smoke(a));
      assertEquals(again.code, 0, again.stderr);
      assertEquals(executedNodes(again.stdout), []);
      const catalog = JSON.parse(again.stdout).catalog as string;
      const db = await DuckDBInstance.create(catalog, { access_mode: "READ_ONLY" });
      const conn = await db.connect();
      try {
        const rows = (sql: string) => queryRows(sql, conn);
        assertEquals(await rows("SELECT count(*) AS n FROM world_val__items"), [{ n: 24 }]);
        const lineage = await rows(
          "SELECT count(*) AS n FROM lineage l JOIN artifacts a ON a.key = l.key WHERE a.stage = 'report'",
        );
        assertEquals(
          lineage,
          [{ n: nodesA.length - 1 }],
          "the report's lineage names every other stage",
        );
        const runs = await rows("SELECT count(*) AS n FROM runs");
        assertEquals(runs, [{ n: 2 }]);
      } finally {
        conn.closeSync();
        db.closeSync();
      }

      // Bytes flipped inside a table (same size): verify names the artifact, and the next run
      // rebuilds exactly it, to the bytes of the other cold store.
      const iou = nodesA.find((n) => n.node === "iou-val")!;
      const table = join(a, "objects", iou.stage, iou.key, "unit_concept.parquet");
      const bytes = await Deno.readFile(table);
      for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 64; i++) bytes[i] ^= 0xff;
      await Deno.writeFile(table, bytes);
      const verify = await runCli(["verify", "--store", a]);
      assertEquals(verify.code, 1, verify.stdout + verify.stderr);
      const named = new RegExp(`damaged: iou/${iou.key.slice(0, 12)}: file unit_concept.parquet`);
      assert(named.test(verify.stdout), verify.stdout);
      const rebuilt = await runCli(smoke(a));
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertEquals(executedNodes(rebuilt.stdout), ["iou-val"]);
      const files = async (store: string) =>
        JSON.parse(
          await Deno.readTextFile(join(store, "objects", iou.stage, iou.key, "manifest.json")),
        ).files;
      assertEquals(await files(a), await files(b));
    } finally {
      // Smoke stores are hundreds of MB each: not left behind in /tmp.
      for (const dir of [a, b]) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
