/**
 * The command line: `reproduce`, `status`, `verify` and `gc` over the stage store.
 *   deno task reproduce [--config FILE] [--set STAGE.PARAM=VALUE ...] [--only STAGE]
 *                       [--force STAGE ...] [--dry-run] [--verify] [--json] [--store DIR] [--wait]
 *   deno task status    [--config FILE] [--set ...] [--verify] [--json]
 *   deno task verify    [--json] [--store DIR]
 *   deno task gc        [--dry-run] [--json]
 *   deno task layers    MODEL [--size N] [--json]
 *   deno run -A dissect.ts export-broden --out DIR [--node NODE | --split DIR]
 *                       [--config FILE] [--store DIR]
 *   deno task shard     NODE I/N --key KEY --job-dir DIR --store DIR [--config ...] (a cluster
 *                       node's part of a sharded stage; the coordinator writes this line)
 * Exit codes: 0 ok, 1 a stage failed (verify: damaged artifacts found and moved
 * aside), 2 bad usage, config or model, 3 store locked, 4 store unusable (cannot
 * be written, disk full, catalog cannot be built).
 */
import { parseArgs } from "node:util";
import { listOptions } from "./engine/args.ts";
import { formatBytes } from "./engine/bytes.ts";
import { gc, reproduce, status, verify } from "./engine/commands.ts";
import { runShard } from "./engine/distribute.ts";
import { isDissectError, storeError } from "./engine/errors.ts";
import { peakRssBytes } from "./engine/memory.ts";
import type { PlannedNode } from "./engine/plan.ts";
import type { RunRecord } from "./schemas/manifest.ts";
import { type LayerList, listLayers } from "./onnx/layer_list.ts";
import { readModelBytes } from "./onnx/model.ts";
import { exportBroden } from "./data/broden_export.ts";
import { loadConfig } from "./engine/session.ts";
import { Store } from "./engine/store.ts";
import { DissectError } from "./engine/errors.ts";
import { RunConfig } from "./schemas/config.ts";

const USAGE = `usage: dissect <reproduce|status|verify|gc|layers|shard|export-broden> [options]
  layers MODEL         list a model's layers (op, shape) and whether input gradients can be built
  export-broden        write a data set with ground truth in Broden's format, into --out DIR:
                       the latest run's --node (default world-val) of --config in --store, or
                       --split DIR (a folder in the split format)
  --config FILE        run configuration (JSON); default: the built-in synthetic world
  --set STAGE.P=VALUE  override a stage parameter (repeatable; VALUE is JSON or a string)
  --only STAGE ...     run only these stages and what they need (repeatable)
  --force STAGE ...    rerun these stages even if their artifacts exist (repeatable)
  --dry-run            say what would run and why, run nothing
  --verify             rehash the artifacts a run would reuse (else only sizes are checked)
  --json               machine-readable output on stdout
  --store DIR          the artifact store (default: artifacts)
  --wait               wait for another run holding the store instead of refusing
  --concurrency N      stages run at once (default: 1 locally, the number of cores with Slurm)
  --pipeline FILE      module that builds the pipeline (default: pipeline.ts)
  --size N             layers: the input size for open dimensions (default 224)
  shard NODE I/N       run one shard of a sharded stage (what a Slurm job runs; needs --key,
                       --job-dir and --store as the coordinator wrote them)`;

/** How many positional arguments each command takes after its name. */
const ARGUMENTS: Record<string, number> = {
  reproduce: 0,
  status: 0,
  verify: 0,
  gc: 0,
  layers: 1,
  shard: 2,
  "export-broden": 0,
};

async function main(args: string[]): Promise<number> {
  const { values, tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      config: { type: "string" },
      set: { type: "string", multiple: true },
      only: { type: "string", multiple: true },
      force: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
      verify: { type: "boolean" },
      json: { type: "boolean" },
      store: { type: "string" },
      wait: { type: "boolean" },
      concurrency: { type: "string" },
      pipeline: { type: "string" },
      size: { type: "string" },
      key: { type: "string" },
      "job-dir": { type: "string" },
      out: { type: "string" },
      node: { type: "string" },
      split: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  // `--only A B` is `--only A --only B`, as the usage shows it.
  const { lists, positionals } = listOptions(tokens, ["only", "force"], 1);
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const takes = ARGUMENTS[command];
  if (takes !== undefined && positionals.length > takes + 1) {
    throw usage(`unexpected argument "${positionals[takes + 1]}" after ${command}`);
  }
  const common = {
    configPath: values.config,
    sets: values.set,
    store: values.store,
    pipelineModule: values.pipeline,
  };
  const out = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  switch (command) {
    case "reproduce": {
      const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
      if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
        throw usage(`--concurrency must be a positive integer, got ${values.concurrency}`);
      }
      const t0 = performance.now();
      const r = await reproduce({
        ...common,
        only: lists.only.length ? lists.only : undefined,
        force: lists.force.length ? lists.force : undefined,
        dryRun: values["dry-run"],
        verify: values.verify,
        wait: values.wait,
        concurrency,
      });
      if (values.json) out({ ...r, peakRssBytes: peakRssBytes() });
      else if (!r.run) printPlan(r.plan);
      else printRun(r.run, r.ran ?? [], r.report, r.catalog, performance.now() - t0);
      if (!r.run || r.run.ok) return 0;
      return (r.ran ?? []).some((n) => n.code === "STORE") ? 4 : 1;
    }
    case "status": {
      const s = await status({ ...common, verify: values.verify });
      if (values.json) out(s);
      else printStatus(s.last, s.plan);
      return 0;
    }
    case "verify": {
      const r = await verify({ store: values.store, wait: values.wait });
      if (values.json) out(r);
      else {
        for (const d of r.damaged) {
          console.log(
            `damaged: ${d.stage}/${d.key.slice(0, 12)}: ${d.reason}; moved to ${d.movedTo}`,
          );
        }
        console.log(
          `${r.checked} artifact(s) checked, ${formatBytes(r.bytes)} rehashed, ` +
            `${r.damaged.length} damaged` +
            (r.damaged.length ? " (the next reproduce rebuilds them)" : ""),
        );
      }
      return r.damaged.length ? 1 : 0;
    }
    case "layers": {
      const model = positionals[1];
      if (!model) throw usage("layers needs a model file: dissect layers MODEL");
      const size = values.size ? Number(values.size) : 224;
      if (!(Number.isInteger(size) && size > 0)) {
        throw usage(`--size must be a positive integer, got ${values.size}`);
      }
      const list = await listLayers(model, await readModelBytes(model), size);
      if (values.json) out(list);
      else printLayers(model, list);
      return 0;
    }
    case "gc": {
      const r = await gc({
        store: values.store,
        wait: values.wait,
        dryRun: values["dry-run"],
        log: (m) => console.error(m),
      });
      if (values.json) out(r);
      else {
        const isArtifact = (a: { stage: string }) =>
          !["quarantine", "shard-log", "catalog-temp", "record-temp"].includes(a.stage);
        for (const a of r.removed) {
          const what = `${a.stage}/${isArtifact(a) ? a.key.slice(0, 12) : a.key}`;
          console.log(`${values["dry-run"] ? "would remove" : "removed"} ${what}`);
        }
        const artifacts = r.removed.filter(isArtifact).length;
        console.log(
          `${values["dry-run"] ? "would free" : "freed"} ${formatBytes(r.freedBytes)} ` +
            `(${artifacts} artifact(s) and ${r.removed.length - artifacts} other item(s) ` +
            `${values["dry-run"] ? "to remove" : "removed"}, ${r.kept} artifact(s) kept)`,
        );
      }
      return 0;
    }
    case "shard": {
      // What a cluster node runs: `dissect shard NODE I/N --key K --job-dir D ...`.
      const [node, part] = positionals.slice(1);
      const m = /^(\d+)\/(\d+)$/.exec(part ?? "");
      if (!node || !m || !values.key || !values["job-dir"] || !values.store) {
        throw usage("shard needs NODE I/N --key KEY --job-dir DIR --store DIR");
      }
      await runShard({
        ...common,
        node,
        key: values.key,
        jobDir: values["job-dir"],
        index: Number(m[1]),
        count: Number(m[2]),
      });
      return 0;
    }
    case "export-broden": {
      if (!values.out) throw usage("export-broden needs --out DIR");
      if (values.split && values.node) {
        throw usage("export-broden takes --split or --node, not both");
      }
      const split = values.split ??
        await latestArtifact(values.node ?? "world-val", values.config, values.store);
      const r = await exportBroden({ split, out: values.out, log: (l) => console.error(l) });
      const said =
        `exported ${r.count} images and ${r.labels} labels from ${split} to ${values.out}`;
      if (values.json) out({ ...r, split, out: values.out });
      else console.log(said);
      return 0;
    }
    default:
      throw usage(`unknown command "${command}"`);
  }
}

/** The folder of `node`'s artifact in the latest run of the config, or an error saying to run it. */
async function latestArtifact(node: string, configPath?: string, storePath?: string) {
  const config = await loadConfig(configPath, RunConfig);
  const store = new Store(storePath ?? "artifacts");
  const run = await store.latestRun(config.name);
  const n = run?.nodes.find((r) => r.node === node);
  if (
    !n || !(n.status === "executed" || n.status === "cached") || !(await store.has(n.stage, n.key))
  ) {
    throw new DissectError(
      "DATA",
      `the latest run of "${config.name}" in ${store.root} has no result of ${node}`,
      `run \`deno task reproduce --only ${node}\` with this config first`,
    );
  }
  return store.artifactDir(n.stage, n.key);
}

function usage(message: string) {
  return Object.assign(new Error(message), { usage: true });
}

function printPlan(plan: PlannedNode[]) {
  const w = Math.max(...plan.map((p) => p.id.length), 4);
  for (const p of plan) {
    const head = `${p.fresh ? "fresh" : "stale"}  ${p.id.padEnd(w)}  ${p.key.slice(0, 12)}`;
    console.log(p.fresh ? head : `${head}  ${p.reasons.join("; ")}`);
  }
  const stale = plan.filter((p) => !p.fresh).length;
  console.log(`${stale} of ${plan.length} stage(s) would run`);
}

/** The summary counts only what this command ran (with --only, the record keeps the rest too). */
function printRun(
  run: RunRecord,
  ran: RunRecord["nodes"],
  report: string | undefined,
  catalog: string | undefined,
  ms: number,
) {
  const executed = ran.filter((n) => n.status === "executed").length;
  const cached = ran.filter((n) => n.status === "cached").length;
  for (const n of ran.filter((n) => n.status === "failed" || n.status === "skipped")) {
    console.log(`${n.status}: ${n.node}${n.error ? `: ${n.error.split("\n")[0]}` : ""}`);
  }
  console.log(
    `${run.ok ? "ok" : "FAILED"}: ${executed} stage(s) executed, ${cached} reused, ` +
      `in ${(ms / 1000).toFixed(1)}s (run ${run.runId})`,
  );
  if (catalog) console.log(`catalog: ${catalog}`);
  if (report) console.log(`report:  ${report}`);
}

function printStatus(last: RunRecord | null, plan: PlannedNode[]) {
  if (!last) console.log("no run yet with this config");
  else {
    console.log(`last run ${last.runId} (${last.ok ? "ok" : "failed"}), ended ${last.ended}`);
    for (const n of last.nodes) {
      console.log(`  ${n.status.padEnd(8)} ${n.node} ${(n.durationMs / 1000).toFixed(1)}s`);
    }
  }
  console.log("now:");
  printPlan(plan);
}

function printLayers(model: string, list: LayerList) {
  console.log(`${model}: input "${list.input.name}" ${list.input.dims.join("x")}`);
  const w = Math.max(...list.layers.map((l) => l.name.length), 5);
  const o = Math.max(...list.layers.map((l) => l.op.length), 2);
  for (const l of list.layers) {
    console.log(`  ${l.name.padEnd(w)}  ${l.op.padEnd(o)}  ${l.dims.join("x")}`);
  }
  // Gaps by op: how many nodes, and the first, so a long list stays readable.
  const byOp = new Map<string, string[]>();
  for (const g of list.gradientGaps) byOp.set(g.op, [...(byOp.get(g.op) ?? []), g.node]);
  const gaps = [...byOp].map(([op, nodes]) =>
    `${op} (${nodes.length} node${nodes.length > 1 ? "s" : ""}, first "${nodes[0]}")`
  );
  console.log(
    `${list.layers.length} layer(s). Input gradients: ` +
      (gaps.length ? `cannot be built; no rule for ${gaps.join(", ")}` : "can be built"),
  );
}

if (import.meta.main) {
  // onnxruntime's telemetry otherwise leaves an empty mat-debug-<pid>.log in /tmp for every run.
  if (!Deno.env.has("ORT_DISABLE_TELEMETRY")) Deno.env.set("ORT_DISABLE_TELEMETRY", "1");
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (thrown) {
    const e = isDissectError(thrown) ? thrown : storeError(thrown) ?? thrown;
    if (isDissectError(e)) {
      console.error(e.describe());
      code = e.code === "STORE_LOCKED" ? 3 : e.code === "STORE" ? 4 : 2;
    } else if (
      (e as { usage?: boolean }).usage ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`error: ${(e as Error).message}\n${USAGE}`);
      code = 2;
    } else {
      console.error(e);
      code = 1;
    }
  }
  Deno.exit(code);
}
