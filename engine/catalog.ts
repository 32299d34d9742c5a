/**
 * artifacts/catalog.duckdb: one file to open in DuckDB and query everything.
 * - a view `<node>__<table>` (dashes become underscores) for every table of
 *   the latest run of the config, reading the artifact's Parquet file;
 * - `runs` and `run_nodes`: every reproduce and what each node did;
 * - `artifacts` and `lineage`: every artifact in the store and its inputs.
 * Rebuilt whole after each run into a temporary file, then renamed in.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { join } from "node:path";
import type { Store } from "./store.ts";
import type { RunRecord } from "../schemas/manifest.ts";
import { sqlIdent, sqlString, viewName } from "./duck.ts";

/** Artifacts whose tables DuckDB could not open: damaged, though their sizes matched. */
export class UnreadableArtifacts extends Error {
  constructor(readonly artifacts: { node: string; stage: string; key: string; reason: string }[]) {
    super(
      artifacts.map((a) => `${a.node} (${a.stage}/${a.key.slice(0, 12)}): ${a.reason}`).join("; "),
    );
    this.name = "UnreadableArtifacts";
  }
}

/**
 * Rebuilds the DuckDB catalog: a view per table of the run's intact
 * artifacts, and the run, node, artifact and lineage tables. Throws
 * UnreadableArtifacts, leaving the previous catalog in place, when a table
 * of the run cannot be opened.
 */
export async function rebuildCatalog(store: Store, current: RunRecord): Promise<string[]> {
  const tmp = `${store.catalogPath}.tmp-${Deno.pid}`;
  const removeTmp = async () => {
    await Deno.remove(tmp).catch(() => {});
    await Deno.remove(`${tmp}.wal`).catch(() => {});
  };
  await removeTmp();
  let db: DuckDBInstance;
  try {
    db = await DuckDBInstance.create(tmp);
  } catch (e) {
    await removeTmp();
    throw e;
  }
  const conn = await db.connect();
  const views: string[] = [];
  const unreadable: UnreadableArtifacts["artifacts"] = [];
  try {
    await conn.run(`CREATE TABLE runs (run_id VARCHAR, config VARCHAR, started VARCHAR,
      ended VARCHAR, ok BOOLEAN)`);
    await conn.run(`CREATE TABLE run_nodes (run_id VARCHAR, node VARCHAR, stage VARCHAR,
      key VARCHAR, status VARCHAR, duration_ms DOUBLE, error VARCHAR)`);
    await conn.run(`CREATE TABLE artifacts (stage VARCHAR, key VARCHAR, node VARCHAR,
      dir VARCHAR, started VARCHAR, ended VARCHAR, duration_ms DOUBLE, tables VARCHAR,
      params VARCHAR)`);
    await conn.run(`CREATE TABLE lineage (key VARCHAR, slot VARCHAR, input_key VARCHAR,
      input_node VARCHAR)`);
    const runs = await conn.createAppender("runs");
    const runNodes = await conn.createAppender("run_nodes");
    // The current run as it will be recorded when the command succeeds.
    const runsNow = (await store.allRuns()).map((r) => r.runId === current.runId ? current : r);
    for (const r of runsNow) {
      runs.appendVarchar(r.runId);
      runs.appendVarchar(r.config);
      runs.appendVarchar(r.started);
      runs.appendVarchar(r.ended);
      runs.appendBoolean(r.ok);
      runs.endRow();
      for (const n of r.nodes) {
        runNodes.appendVarchar(r.runId);
        runNodes.appendVarchar(n.node);
        runNodes.appendVarchar(n.stage);
        runNodes.appendVarchar(n.key);
        runNodes.appendVarchar(n.status);
        runNodes.appendDouble(n.durationMs);
        if (n.error) runNodes.appendVarchar(n.error);
        else runNodes.appendNull();
        runNodes.endRow();
      }
    }
    runs.closeSync();
    runNodes.closeSync();
    const artifacts = await conn.createAppender("artifacts");
    const lineage = await conn.createAppender("lineage");
    for (const [stage, key] of await store.listArtifacts()) {
      const m = await store.manifest(stage, key);
      if (!m) continue;
      artifacts.appendVarchar(stage);
      artifacts.appendVarchar(key);
      artifacts.appendVarchar(m.node);
      artifacts.appendVarchar(store.artifactDir(stage, key));
      artifacts.appendVarchar(m.started);
      artifacts.appendVarchar(m.ended);
      artifacts.appendDouble(m.durationMs);
      artifacts.appendVarchar(JSON.stringify(m.tables));
      artifacts.appendVarchar(JSON.stringify(m.keyParts.params));
      artifacts.endRow();
      for (const [slot, inputKey] of Object.entries(m.keyParts.inputs)) {
        lineage.appendVarchar(key);
        lineage.appendVarchar(slot);
        lineage.appendVarchar(inputKey);
        lineage.appendVarchar(m.inputNodes[slot] ?? "");
        lineage.endRow();
      }
    }
    artifacts.closeSync();
    lineage.closeSync();
    for (const n of current.nodes) {
      if (n.status !== "executed" && n.status !== "cached") continue;
      const found = await store.inspect(n.stage, n.key);
      if (found.state !== "ok") continue; // a node the run left out (--only) since damaged
      for (const table of Object.keys(found.manifest.tables)) {
        const name = viewName(n.node, table);
        const file = join(store.artifactDir(n.stage, n.key), `${table}.parquet`);
        try {
          await conn.run(
            `CREATE VIEW ${sqlIdent(name)} AS SELECT * FROM read_parquet(${sqlString(file)})`,
          );
          views.push(name);
        } catch (e) {
          const reason = `table ${table} cannot be read (${(e as Error).message.split("\n")[0]})`;
          unreadable.push({ node: n.node, stage: n.stage, key: n.key, reason });
          break;
        }
      }
    }
  } catch (e) {
    conn.closeSync();
    db.closeSync();
    await removeTmp();
    throw e;
  }
  conn.closeSync();
  db.closeSync();
  if (unreadable.length) {
    await removeTmp();
    throw new UnreadableArtifacts(unreadable);
  }
  try {
    await Deno.rename(tmp, store.catalogPath);
  } finally {
    await removeTmp();
  }
  return views;
}
